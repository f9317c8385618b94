"""The rasa-sdk action server: an existing Rasa assistant runs our flows and reaches our advisors.

The Rasa assistant keeps its own NLU and dialogue policy; it calls
``action_hotline_flow`` to walk our published flows (fetched from the api's
bundle) and ``action_hotline_handoff`` to queue a conversation for a person
(through the api's handoff endpoint). This package may import ``flows``,
``handoff`` and ``hotline.settings`` / ``hotline.crypto``; never ``bot`` or ``api``:
it talks to the api over HTTP like any other client. ``domain.yml`` next to
this file is the fragment the Rasa assistant's domain needs.
"""
