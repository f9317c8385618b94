"""What this channel says by itself, in every language: the api is down, a person is called.

Flow texts come from the pack; these few cover what the pack cannot (the api
that serves the pack is unreachable) or what only this channel does. They are
honest on purpose: a person will answer, but not necessarily at once, and
nothing is promised that the service cannot keep.
"""

from __future__ import annotations

from typing import Final

from flows.schema import Lang

Texts = dict[Lang, str]

UNAVAILABLE: Final[Texts] = {
    Lang.ru: "Сервис сейчас временно недоступен. Пожалуйста, напишите чуть позже — "
             "тогда можно будет связаться и с человеком.",
    Lang.uk: "Сервіс зараз тимчасово недоступний. Будь ласка, напишіть трохи пізніше — "
             "тоді можна буде зв'язатися і з людиною.",
    Lang.be: "Сэрвіс зараз часова недаступны. Калі ласка, напішыце крыху пазней — "
             "тады можна будзе звязацца і з чалавекам.",
    Lang.en: "The service is temporarily unavailable. Please write again a little later — "
             "you will be able to reach a person then too.",
    Lang.de: "Der Dienst ist vorübergehend nicht erreichbar. Bitte schreiben Sie etwas später "
             "noch einmal — dann erreichen Sie auch einen Menschen.",
}

HANDOFF_FAILED: Final[Texts] = {
    Lang.ru: "Сейчас мне не удалось передать разговор консультанту: сервис временно недоступен. "
             "Пожалуйста, напишите чуть позже — тогда с человеком можно будет связаться.",
    Lang.uk: "Зараз мені не вдалося передати розмову консультанту: сервіс тимчасово недоступний. "
             "Будь ласка, напишіть трохи пізніше — тоді з людиною можна буде зв'язатися.",
    Lang.be: "Зараз мне не ўдалося перадаць размову кансультанту: сэрвіс часова недаступны. "
             "Калі ласка, напішыце крыху пазней — тады з чалавекам можна будзе звязацца.",
    Lang.en: "I couldn't pass your conversation to a counsellor just now: the service is "
             "temporarily unavailable. Please write again a little later — a person can be "
             "reached then.",
    Lang.de: "Gerade konnte ich Ihr Gespräch nicht an eine Beratungsperson weitergeben: Der "
             "Dienst ist vorübergehend nicht erreichbar. Bitte schreiben Sie etwas später noch "
             "einmal — dann ist auch ein Mensch erreichbar.",
}

HANDOFF_QUEUED: Final[Texts] = {
    Lang.ru: "Я передал ваш разговор консультанту. Человек ответит вам, как только сможет, — "
             "это может занять некоторое время. Пожалуйста, не пишите сюда имя, номер части "
             "и номера документов.",
    Lang.uk: "Я передав вашу розмову консультанту. Людина відповість вам, щойно зможе, — "
             "це може зайняти деякий час. Будь ласка, не пишіть сюди ім'я, номер частини "
             "й номери документів.",
    Lang.be: "Я перадаў вашу размову кансультанту. Чалавек адкажа вам, як толькі зможа, — "
             "гэта можа заняць пэўны час. Калі ласка, не пішыце сюды імя, нумар часці "
             "і нумары дакументаў.",
    Lang.en: "I've passed your conversation to a counsellor. A person will answer you as soon "
             "as they can — it may take a while. Please don't write your name, unit or document "
             "numbers here.",
    Lang.de: "Ich habe Ihr Gespräch an eine Beratungsperson weitergegeben. Ein Mensch antwortet "
             "Ihnen, sobald es geht — das kann etwas dauern. Bitte schreiben Sie hier keinen "
             "Namen, keine Einheit und keine Ausweisnummern.",
}

#: Labels of the language buttons, each in its own language.
LANGUAGE_NAMES: Final[Texts] = {
    Lang.ru: "Русский",
    Lang.uk: "Українська",
    Lang.be: "Беларуская",
    Lang.en: "English",
    Lang.de: "Deutsch",
}


def say(texts: Texts, lang: Lang) -> str:
    """``texts`` in ``lang``; Russian, the language most writers read, when it is missing."""
    return texts.get(lang) or texts[Lang.ru]
