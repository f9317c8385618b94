"""Request and response models, one module per entity (``FlowCreate``, ``FlowPublic``, ...)."""
