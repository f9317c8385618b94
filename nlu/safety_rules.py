"""The safety net's rules, per intent and language, over lower-case words joined by single spaces.

Texts arrive without punctuation and with ``ё`` written ``е``. Latin-script
Russian reaches the Russian rules through its Cyrillic transliteration.
Patterns use only non-capturing groups; a rule's name says what it catches.
Tuned on the training data for recall with few false alarms (measure with
``python bench/nlu.py --cv``): a soldier asking what the penalty for
surrender is, or a deserter already abroad asking about asylum, is not an
emergency.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Rule:
    """A pattern demanding ``intent``; its name starts with the language it is written for."""

    intent: str
    name: str
    pattern: str
    unless_before: str = ""

    @property
    def script(self) -> str:
        """Which texts the rule can match: "cyrl", "latn" or "any" (the safety net skips the rest).

        A rule for Cyrillic must not match text without Cyrillic letters (and
        likewise for Latin); anything else belongs in a rule of its own.
        """
        prefix = self.name.split("_")[0]
        return {"ru": "cyrl", "uk": "cyrl", "be": "cyrl", "en": "latn", "de": "latn"}.get(
            prefix, "any")


def _any(*parts: str) -> str:
    return "(?:" + "|".join(parts) + ")"


def _words(*parts: str) -> str:
    return r"\b" + _any(*parts) + r"\b"


# Hypothetical or general questions: "если меня задержат", "могут ли забрать", "what if".
_IF_RU = _words("правда", "если", "ли", "могут", "может", "вдруг", "чтобы", "бывает", "бывают",
                "грозит", "будет")
_IF_UK = _words("правда", "якщо", "чи", "можуть", "може", "раптом", "щоб", "буває", "загрожує",
                "буде")
_IF_BE = _words("праўда", "калі", "ці", "могуць", "можа", "раптам", "каб", "бывае", "пагражае",
                "будзе")
_IF_EN = _words("is it true", "if", "would", "could", "can they", "will they", "do they",
                "does it", "might", "what happens")
_IF_DE = _words("wenn", "falls", "ob", "können sie", "kann man", "würde", "was passiert", "werde",
                "wird", "wurden", "könnte")
# Questions about punishment or about others: "что грозит за сдачу в плен" is legal_risks.
_PENALTY = _words("за", "грозит", r"статья", r"срок\w*", r"наказ\w*", "карают", r"покаранн?я",
                  "пагражае", "penalty", "punishment", "prison", "sentence", "strafe", "droht",
                  "хто", "кто", "who")
_GUARD_RU = f"{_IF_RU}|{_PENALTY}"
_GUARD_UK = f"{_IF_UK}|{_PENALTY}"
_GUARD_BE = f"{_IF_BE}|{_PENALTY}"
_GUARD_EN = f"{_IF_EN}|{_PENALTY}"
_GUARD_DE = f"{_IF_DE}|{_PENALTY}"

# --- urgent_danger ---------------------------------------------------------------------------
_RU_WHO = _any("меня", "нас", "сына", "мужа", "брата", "парня", "друга", "отца", "мужчин", "всех",
               "ребят", "его", "сын", "муж", "брат")
_RU_NOW = _any("сейчас", "щас", "прямо", "только что", "сегодня", "уже тут", "уже здесь",
               "час назад", "утром", "вечером", "ночью")
_RU_SEIZE = _any(
    r"задерж(?:ал[аи]?|ан[аы]?|ивают|ат прямо)", r"схватил[аи]?", r"повязал[аи]?",
    r"скрутил[аи]?", r"арестова(?:ли|ла|л|н[аы]?)", r"пакуют", r"упаковал[аи]", r"забрал[аи]",
    r"забирают", r"хватают", r"увоз(?:ят|ит)", r"увез(?:ли|ла)?", r"везут", r"грузят", r"тащат",
    r"держат", r"допрашива(?:ют|ли)", r"обыскива(?:ют|ли)", r"досматрива(?:ют|ли)",
    r"не выпуска(?:ют|ли)", r"не отпуска(?:ют|ли)", r"закрыли", r"поймал[аи]", r"привезли",
    r"доставили",
)
_RU_SEIZE_NOW = _any(_RU_SEIZE, "ищут", "следят", r"проверяют (?:мой )?телефон",
                     r"смотрят (?:мой )?телефон", r"не пуска(?:ют|ли)")
_RU_POLICE = _any(r"полици\w*", r"мент\w*", r"фсб\w*", r"росгвард\w*", r"омон\w*",
                  r"военком\w*", r"военн\w* полици\w*", r"участков\w*", "люди в форме",
                  r"погран\w*")
_UK_WHO = _any("мене", "нас", "сина", "чоловіка", "брата", "хлопця", "друга", "батька",
               "чоловіків", "усіх")
_UK_NOW = _any("зараз", "щойно", "сьогодні", "вже тут", "годину тому", "ввечері", "вранці")
_UK_SEIZE = _any(
    r"затрима(?:л[аи]?|н[аі]?|ли|ють)", r"затримують", r"схопил[аи]?", r"заарештува(?:ли|ла|в)",
    r"заарештован\w*", "пакують", r"забрал[аи]", "забирають", "везуть", "тримають", "допитують",
    "не випускають", "не відпускають", "закрили", r"спіймал[аи]", "відвезли", "вивезти",
)
_BE_WHO = _any("мяне", "нас", "сына", "мужа", "брата", "хлопца", "сябра", "бацьку", "мужчын",
               "усіх")
_BE_NOW = _any("зараз", "толькі што", "сёння", "ужо тут", "гадзіну таму")
_BE_SEIZE = _any(
    r"затрыма(?:лі|ла|ў|ны|на|ныя)", "затрымліваюць", r"схапіл[іа]", r"арыштава(?:лі|ла|ў)",
    r"забрал[іа]", "забіраюць", "вязуць", "трымаюць", "дапытваюць", "не выпускаюць",
    "не адпускаюць", "зачынілі", r"злавіл[іа]", "пакуюць",
)
_EN_SEIZE = _any(
    "detained", "arrested", "grabbed", "caught", r"holding (?:me|us|him)",
    r"taking (?:me|us|him)", r"took (?:me|us|him|my)",
    r"being (?:taken|deported|held|detained|questioned|searched)", "deporting me",
    r"questioning (?:me|us)", "interrogating", r"searching (?:me|my)", "checking my phone",
    r"won'?t let (?:me|us)", r"not letting (?:me|us)", "are taking", r"forcing (?:me|us)",
    r"stopped (?:me|us|our)", r"sending (?:me|us) to the (?:unit|front)", "coming for me",
    "looking for me", "interviewing me", "downstairs now",
)
_DE_SEIZE = _any(
    "festgenommen", "verhaftet", "festgehalten", "halten mich", "nehmen mich", "abgeholt",
    "bringen mich", "verhören", "verhört", r"durchsuch\w*", "lassen mich nicht", "haben mich",
    "holen mich", "mitgenommen", "zwingen mich", "abschiebehaft",
)

_URGENT: tuple[Rule, ...] = (
    # Russian (and Latin-script Russian through its transliteration)
    Rule("urgent_danger", "ru_seized_who",
         rf"(?<!у )\b{_RU_WHO}(?: \S+){{0,2}} {_RU_SEIZE}\b|\b{_RU_SEIZE} {_RU_WHO}\b", _IF_RU),
    Rule("urgent_danger", "ru_seized_now",
         rf"\b{_RU_SEIZE_NOW}\b.{{0,40}}\b{_RU_NOW}\b|\b{_RU_NOW}\b.{{0,40}}\b{_RU_SEIZE_NOW}\b",
         _IF_RU),
    Rule("urgent_danger", "ru_seized_place",
         rf"\b{_RU_SEIZE} (?:на|в|во|у) " + _any(
             "границ", "аэропорт", "вокзал", "метро", "улиц", "отдел", "военкомат", "част",
             "пункт", "кпп", "общаг", "работ", "автобус", "машин", "подъезд", "дом"), _IF_RU),
    Rule("urgent_danger", "ru_held_in",
         _words("я", "мы", "сижу", "сидим", "нахожусь", "находимся", "стою", "держат", "сейчас",
                "уже") + r".{0,15}\b(?:в|на|во) " + _any(
             "отделе", "отделении", "ментовке", "обезьяннике", "кпз", "изоляторе", "сизо",
             "автозаке", "военкомате", "сборном пункте", "сборнике", "допросе", "полиции",
             "участке", "депортационном"), _IF_RU),
    Rule("urgent_danger", "ru_door", _any(
        _words("стучат", "ломают", "ломятся", "выбивают", "звонят") + r".{0,20}\bдвер",
        r"\b(?:под|у|возле|около) (?:двер\w*|подъезд\w*)\b",
        _words("пришли", "приехали", "стоят", "ждут", "караулят") + ".{0,25}" + _words(
            "за мной", "ко мне", "домой", "к родителям", "на работу", "за ним", "за сыном",
            "за мужем"),
        _words("пришли", "приехали", "ворвались") + ".{0,25}" + r"\b(?:с|и) " + _any(
            r"полици\w*", r"обыск\w*", r"ордер\w*", r"омон\w*", r"росгвард\w*")), _IF_RU),
    Rule("urgent_danger", "ru_police_here",
         rf"\b{_RU_POLICE}\b.{{0,25}}" + _words(
             "тут", "здесь", r"пришл\w*", r"приехал\w*", "внизу", "в квартире", "дома", "у дома",
             "стучат", "ломятся", "ищут меня"), _IF_RU),
    Rule("urgent_danger", "ru_raid",
         _any(r"\bоблав\w*", r"\bобыск\b", r"\bобыски\b", r"\bрейд по", r"\bавтозак\w*"), _IF_RU),
    Rule("urgent_danger", "ru_border_now", r"\b" + _any(
        "сняли с рейса", "не пустили на посадку", r"отвели в (?:сторону|комнату|кабинет)",
        r"(?:на границе|на контроле|в аэропорту) (?:\S+ )?забрали", r"на допрос\w*",
        "читают переписку", "надели наручники", "в наручниках", r"спецприемник\w*", "выдворяют",
        r"депортиру(?:ют|ет) (?:меня|нас)", "минут собрать вещи", "собирать вещи"), _IF_RU),
    Rule("urgent_danger", "ru_sent_today", _any(
        r"\b(?:сегодня|вечером|ночью|завтра утром) (?:отправк\w*|отправляют|увозят|везут)",
        _words("отправляют", "увозят", "везут", "отправка") + r".{0,20}"
        + _words("сегодня", "вечером", "ночью", "сейчас")), _IF_RU),
    Rule("urgent_danger", "ru_help_now", _words(
        "сос", "спасите", "(?:я|мы) в опасности", "мне угрожает опасность", "срочно помогите",
        "помогите срочно", "помогите быстро", "прячусь", "скрываюсь от", "за мной следят"),
        _IF_RU),
    Rule("urgent_danger", "sos", r"\bsos\b|🆘"),
    Rule("urgent_danger", "short_alarm", "^" + _any(
        "срочно", "помогите", "помогите пожалуйста", "терміново", "допоможіть", "тэрмінова",
        "дапамажыце", "help", "help me", "urgent", "emergency", "hilfe", "notfall", "sos", "сос",
        "srochno", "pomogite") + "(?: " + _any(
        "пожалуйста", "срочно", "быстро", "скорее", "please", "quick", "now", "bitte", "schnell",
        "sos", "help", "hilfe", "помогите", "допоможіть", "дапамажыце", "терміново", "тэрмінова",
        "мне", "мені", "me", "mir", "🆘") + ")*$"),
    # Ukrainian
    Rule("urgent_danger", "uk_seized", _any(
        rf"\b{_UK_WHO}\b.{{0,15}}\b{_UK_SEIZE}",
        rf"\b{_UK_SEIZE}\b.{{0,40}}\b{_UK_NOW}\b",
        rf"\b{_UK_NOW}\b.{{0,30}}\b{_UK_SEIZE}",
        rf"\b{_UK_SEIZE} (?:на|в|у) " + _any(
            "кордон", "аеропорт", "вокзал", "метро", "вулиц", "відділ", "військкомат", "част")),
        _IF_UK),
    Rule("urgent_danger", "uk_place", _any(
        r"\b(?:у|в) " + _words("відділку", "відділенні", "автозаку", "військкоматі", "ізоляторі",
                               "сізо", "поліції"),
        r"\bна допит\w*", _words("стукають", "ломляться", "вибивають") + r".{0,20}\bдвер",
        r"\bпід дверима", _words("обшук", r"облав\w*", "рейд у", "в небезпеці", "рятуйте",
                                 "допоможіть терміново", "терміново допоможіть"),
        r"\bзняли з рейсу", r"\b(?:на кордоні|в аеропорту) (?:\S+ )?забрали", r"\bне випускають"),
        _IF_UK),
    # Belarusian
    Rule("urgent_danger", "be_seized", _any(
        rf"\b{_BE_WHO}\b.{{0,15}}\b{_BE_SEIZE}",
        rf"\b{_BE_SEIZE}\b.{{0,40}}\b{_BE_NOW}\b",
        rf"\b{_BE_NOW}\b.{{0,30}}\b{_BE_SEIZE}",
        rf"\b{_BE_SEIZE} (?:на|у|ў) " + _any(
            "мяж", "аэрапорт", "вакзал", "метро", "вуліц", "аддзел", "ваенкамат", "част")),
        _IF_BE),
    Rule("urgent_danger", "be_place", _any(
        r"\b(?:у|ў) " + _words("аддзеле", "аддзяленні", "аўтазаку", "ваенкамаце", "ізалятары",
                               "міліцыі"),
        r"\bна допыт\w*", _words("стукаюць", "ламаюцца", "выбіваюць") + r".{0,20}\bдзвер",
        r"\bпад дзвярыма", _words(r"вобыск\w*", r"ператрус\w*", r"аблав\w*", "у небяспецы",
                                  "ратуйце", "дапамажыце тэрмінова"),
        r"\bзнялі з рэйса", r"\b(?:на мяжы|у аэрапорце) (?:\S+ )?забралі", r"\bне выпускаюць"),
        _IF_BE),
    # English
    Rule("urgent_danger", "en_seized", rf"\b{_EN_SEIZE}\b", _IF_EN),
    Rule("urgent_danger", "en_place", _any(
        r"\b(?:i'?m|i am|we are|we'?re|he is|he'?s|am|is) (?:now |still |being held )?(?:in|at) "
        r"(?:the |a )?" + _any(
            "police station", "police car", "voenkomat", "enlistment office", "detention",
            "custody", r"deportation cent\w+", "interrogation", "sborny punkt", "assembly point",
            "border now"),
        _words("police", "cops", "fsb", "military police", r"border guards?", "men in uniform",
               "voenkomat") + r".{0,30}\b(?:at|outside|inside|near) (?:my|our|the) "
        + _any("door", "house", "flat", "apartment", "home", "work", "building"),
        _words("knocking", "breaking", "banging") + r".{0,20}\bdoor",
        _words(r"(?:i'?m|i am|we are) in (?:immediate )?danger", "emergency", "help urgent",
               "urgent help", "help quick", "quick help", "help fast", "police raid", "raid at")),
        _IF_EN),
    # German
    Rule("urgent_danger", "de_seized", _any(
        rf"\b{_DE_SEIZE}\b",
        _words("polizei", "fsb", "grenzschutz", r"grenzbeamte\w*", "grenzer", "militärpolizei")
        + ".{0,30}" + _words(
            r"vor (?:der|meiner) tür", r"an (?:der|meiner) (?:tür|wohnung)", "in der wohnung",
            "ist hier", "sind hier", r"klopf\w*", "unten im haus"),
        _words("(?:ich bin|wir sind) in gefahr", "notfall", "dringend hilfe", "hilfe dringend",
               "schnell helfen", "hilfe schnell", "razzia"),
        r"\b(?:auf der|in der|im) " + _words("polizeiwache", "wache", "gewahrsam", "haft",
                                             "militärkommissariat")), _IF_DE),
)

# --- serving_soldier -------------------------------------------------------------------------
_SERVING: tuple[Rule, ...] = (
    # Russian
    Rule("serving_soldier", "ru_at_front",
         _words("я", "мы", "сейчас", "сижу", "нахожусь", "служу") + r".{0,12}\b(?:в|на|во|за) "
         + _any("части", "армии", "фронте", "передке", "передовой", "позициях", "окопе", "окопах",
                "блиндаже", "лбс", "ленточкой", "зоне сво", r"сво\b", "полигоне", "госпитале",
                "учебке", "службе", "штурмовом", "штурмовиках", "шторм", "войсках", r"вч\b",
                "в/ч", "сзч", r"самовол\w*"), _GUARD_RU),
    Rule("serving_soldier", "ru_i_am_soldier",
         r"\b(?:я|мы)\s(?:сейчас\s)?" + _words(
             "служу", "служим", r"контрактник\w*", r"мобилизованн?\w*", r"мобик\w*",
             r"срочник\w*", r"военнослужащ\w*", "военный", "солдат", "офицер", "кадровый",
             "десантник", "матрос"), _GUARD_RU),
    Rule("serving_soldier", "ru_get_out", _any(
        _words("уйти", "уйду", "сбежать", "выбраться", "свалить", "вырваться", "уволиться",
               "выйти", "слиться", "съебаться", "дезертировать", "уехать", "убежать",
               "соскочить")
        + r".{0,12}\b(?:из|с|со) " + _words(
            r"част\w*", "армии", "фронта", "сво", "службы", "контракта", "окопа", "позиций",
            "передка", r"войск\w*", "вс рф", "полигона"),
        _words("дезертировать", "дезертирую"),
        r"\bотказываюсь (?:идти|ехать|воевать|штурмовать)",
        r"\bдезертировал\w* (?:я )?еще в",
        r"\b(?:снова|опять|знову|зноў) " + _any("отправляют", "посылают", "посилають",
                                                 "відправляють", "адпраўляюць"),
        r"\b149 ?200\b"), _GUARD_RU),
    Rule("serving_soldier", "ru_surrender", r"\b" + _any(
        "сдаться", "сдаваться", "сдамся", "сдадимся", "сдача в плен", "в плен", "хочу жить",
        "перейти на сторону", r"перейти к украин\w*"), _GUARD_RU),
    Rule("serving_soldier", "ru_szch",
         _words("хочу", "хотим", "собираюсь", "планирую", "думаю", "как", "пойти", "уйти", "уйду",
                "ухожу") + r".{0,15}\b" + _any("сзч", r"в самоволк\w*", r"самовол\w*"),
         _GUARD_RU),
    Rule("serving_soldier", "ru_contract", _any(
        _words("разорвать", "расторгнуть", "выйти из", r"расторжени\w*", r"разрыв\w*")
        + r"\s(?:мой\s|свой\s)?контракт",
        r"\bне (?:хочу|буду) " + _any("возвращаться", "вернуться", "ехать обратно", "штурмовать",
                                      "назад", "обратно"),
        r"\b(?:в отпуске|отпуск) (?:с|из) (?:фронта|части|сво|зоны)",
        r"\b(?:нас|меня) (?:отправляют|перебрасывают|кидают|посылают)\b.{0,20}" + _words(
            "на фронт", "за ленточку", "на штурм", "в зону сво", "на передок", "на передовую",
            "под")), _GUARD_RU),
    Rule("serving_soldier", "ru_relative_serving",
         _words("сын", "муж", "брат", "парень", "друг", "отец", "жених") + r".{0,15}\b" + _any(
             "на фронте", "в части", "на сво", "в зоне сво", "на передке", "в окопах",
             "мобилизован", "служит", "контрактник"), _GUARD_RU),
    # Ukrainian
    Rule("serving_soldier", "uk_serving", _any(
        _words("я", "ми", "зараз", "сиджу", "служу") + r".{0,12}\b(?:у|в|на) " + _any(
            "частині", "армії", "фронті", "передку", "позиціях", "окопі", "бліндажі", "шпиталі",
            "полігоні", "службі"),
        r"\b(?:я|ми) " + _words("служу", "контрактник", r"мобілізован\w*", "мобік", "строковик",
                                "військовий", "солдат"),
        _words("піти", "втекти", "вибратися", "звільнитися", "вийти", "покинути")
        + r".{0,10}\b(?:з|із)? ?" + _words(r"частин\w*", "армії", "фронту", "контракту",
                                          "служби"),
        r"\b" + _any("здатися", "в полон", "хочу жити", "на бік україни"),
        r"\bрозірвати контракт", r"\bне хочу повертатися",
        _words("піти", "хочу", "як") + r".{0,12}\bсзч\b"), _GUARD_UK),
    # Belarusian
    Rule("serving_soldier", "be_serving", _any(
        _words("я", "мы", "зараз", "сяджу", "служу") + r".{0,12}\b(?:у|ў|на) " + _any(
            "частцы", "войску", "арміі", "фронце", "пазіцыях", "акопе", "шпіталі", "палігоне",
            "службе"),
        r"\b(?:я|мы) " + _words("служу", "кантрактнік", r"мабілізаван\w*", "мабік", "тэрміновец",
                                "вайсковец", "салдат", "ваенны"),
        _words("сысці", "уцячы", "выбрацца", "звольніцца", "выйсці", "пакінуць")
        + r".{0,10}\b(?:з|са)? ?" + _words("часці", "войска", "арміі", "фронту", "кантракту",
                                          "службы"),
        r"\b" + _any("здацца", "у палон", "ў палон", "хачу жыць"),
        r"\b(?:скасаваць|разарваць) кантракт", r"\bне хачу (?:вяртацца|назад)",
        _words("хачу", "як", "пайсці", "сысці") + r".{0,12}\bсзч\b", r"\bпішу з часці"),
        _GUARD_BE),
    # English
    Rule("serving_soldier", "en_serving", _any(
        r"\b(?:i'?m|i am|we are|we'?re)(?: now| currently| still)? (?:in|at|on) (?:the |my |a )?"
        + _any("unit", "front", "frontline", "front line", "trenches", "army", "military",
               "training ground", "training camp", "positions", "svo", "line of contact",
               "hospital after the front"),
        r"\bi (?:serve|am serving|'m serving)\b", r"\bserving (?:soldier|now|in)\b",
        r"\b(?:i'?m|i am) (?:a |an )?" + _words(
            "soldier", "mobik", "contract soldier", "conscript", "kontraktnik", "serviceman",
            "officer", "sailor", "mobilised", "mobilized"),
        r"\b(?:leave|quit|escape|get out of|desert|run from) (?:the |my )?" + _words(
            "army", "unit", "front", "military", "service", "contract"),
        r"\bsurrender\w*", r"\bi want to live\b", r"\bkhochu zhit",
        r"\b(?:break|terminate|end) (?:my|the) contract", r"\bdon'?t want to (?:go back|return)\b",
        r"\bon (?:leave|vacation) from the (?:front|army|unit)",
        _words("go", "went", "going", "gone", "want to", "i'?m in", "am in") + r".{0,10}"
        + _words("szch", "sz4")), _GUARD_EN),
    # German
    Rule("serving_soldier", "de_serving", _any(
        r"\bich bin (?:gerade |jetzt |noch )?" + _any(
            "in der einheit", "an der front", "in der armee", "beim militär", "soldat",
            "in der kaserne", "im schützengraben", "auf dem truppenübungsplatz", "mobilisiert",
            "vertragssoldat", "wehrpflichtiger", "im lazarett"),
        r"\bich diene\b", _words("aus der armee", "aus der einheit", "von der front"),
        r"\bdesertieren\b", r"\b(?:mich|uns|man sich|ich mich) (?:\S+ )?ergeben",
        r"\bergebe ich mich", r"\bgefangenschaft", r"\bich will leben", r"\büberlaufen\b",
        r"\bkapitulation\b", r"\bvertrag " + _any("kündigen", "kundigen", "auflösen", "brechen",
                                                  "beenden"),
        r"\bnicht (?:mehr )?zurück (?:an die front|zur einheit)",
        r"\b(?:bin|ich bin) (?:\S+ )?" + _words("an der front", "in der einheit", "soldat", "mobik",
                                               "kontraktnik")), _GUARD_DE),
)

RULES: tuple[Rule, ...] = _URGENT + _SERVING
