"""Frequent words that tell Russian, Ukrainian, Belarusian, English, German and translit apart.

Only words that are common in short questions and typical of their language
are listed; a word shared by two languages may sit in both lists (it then
only argues against the third). The n-gram model learns the rest from data.
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    """The words, also spelt with ``е`` for ``ё`` (the parser compares spelling-folded words)."""
    words = text.split()
    return frozenset(words + [w.replace("ё", "е") for w in words])


FREQUENT_WORDS: dict[str, frozenset[str]] = {
    "ru": _words(
        "что чтобы как где когда если меня мне мной это этот эта эти нужно надо можно нельзя "
        "уже ещё еще сейчас есть нет нету или только тоже также очень какие какой какая какое "
        "почему зачем сколько хочу могу можем будет было был были здравствуйте привет спасибо "
        "пожалуйста помогите помоги подскажите скажите объясните ли вы он она они мы его её их "
        "здесь сюда туда отсюда оттуда теперь всегда никогда сегодня вчера завтра человек люди "
        "страна россии россия россию из от при без после через для ничего никто кто куда "
        "откуда делать сделать получить уехать выехать ехать мой моя мои нас вас вам нам сын "
        "дочь муж брат отец мать папа семья друг парень девушка работа деньги город граница "
        "границе границу документы военкомат повестка повестку армия война страшно боюсь "
        "помощь вопрос ответ плохо хорошо ладно быстро неделя лет утро вечер ночь наверное "
        "возможно действительно вообще совсем вместе вот извините простите конечно понимаю "
        "вижу говорю знаю убежище"
    ),
    "uk": _words(
        "що щоб як де коли якщо мене мені мною це цей ця ці треба потрібно можна вже ще "
        "зараз є немає нема або тільки лише теж також дуже які який яка яке чому навіщо "
        "скільки хочемо можу можемо маю маємо буде було був були вітаю привіт дякую будь ласка "
        "допоможіть допоможи підкажіть скажіть поясніть чи ви він вона вони ми його її їх "
        "сюди звідси звідти тепер завжди ніколи сьогодні вчора завтра людина люди країна "
        "росії росія з із зі від при без після через для нічого ніхто хто куди звідки робити "
        "зробити отримати виїхати їхати мій моя мої твій нас вас вам нам син донька чоловік "
        "батько мати родина хлопець дівчина гроші місто кордон кордоні кордону документи "
        "військкомат повістка повістку армія війна страшно боюся боюсь допомога питання "
        "відповідь погано добре гаразд швидко тиждень рік років ранок вечір ніч мабуть "
        "напевно можливо справді взагалі зовсім разом ось звичайно звісно вибачте перепрошую "
        "розумію бачу знаю притулок та й але бо тому поки біля між"
    ),
    "be": _words(
        "што каб як дзе калі мяне мне мной гэта гэты гэтая гэтыя трэба патрэбна можна нельга "
        "ўжо ужо яшчэ зараз ёсць няма або толькі таксама вельмі якія які якая якое чаму "
        "навошта колькі хачу хочам магу можам маю будзе было быў былі вітаю прывітанне "
        "прывітаньне дзякуй ласка дапамажыце дапамажы падкажыце скажыце растлумачце ці вы ён "
        "яна яны мы яго яе іх тут сюды туды адсюль адтуль цяпер заўсёды ніколі сёння учора "
        "ўчора заўтра чалавек людзі краіна расіі расія беларусі беларусь з ад пры без пасля "
        "праз для нічога ніхто хто куды адкуль рабіць зрабіць атрымаць выехаць ехаць мой мая "
        "маё мае твой нас вас вам нам сын дачка муж брат бацька маці сям'я сябар хлопец "
        "дзяўчына праца грошы горад мяжа мяжу мяжы пашпарт дакументы ваенкамат позва позву "
        "армія войска войску вайна страшна баюся дапамога пытанне адказ праўда дрэнна добра "
        "хутка тыдзень гадоў раніца вечар ноч мабыць напэўна магчыма сапраўды наогул зусім "
        "разам вось вядома прабачце разумею бачу ведаю прытулак і ў але бо таму пакуль каля "
        "паміж"
    ),
    "en": _words(
        "the a an i to how what can do does is are am my me in of and for it you hello hi hey "
        "thanks thank please help want need get from where when if not have has will should "
        "could would yes no ok bye about with this that there is my our your they he she we "
        "leave got received"
    ),
    "de": _words(
        "der die das ich und ist nicht wie was kann mich mir ein eine einen zu in mit für auf "
        "von hallo danke bitte hilfe will brauche wo wann wenn habe bin sind wird soll ja nein "
        "tschüss guten tag morgen bekomme bekommt als aus nach ich mein meine meinen gibt es "
        "kein keine schon noch jetzt hier dort sie er wir"
    ),
    "ru_latn": _words(
        "kak chto shto 4to chtoby mne menya ya eto ne i v na s u iz po dlya kogda gde mozhno "
        "nado nuzhno khochu hochu xochu xo4u esli uzhe seychas sejchas sei4as pomogite privet "
        "spasibo pozhaluysta pojaluista zdravstvuyte zdravstvuite mogu budet est net ili moy "
        "moi posle cherez ot bez tolko ochen pochemu po4emu povestka povestku voenkomat rossii "
        "rossiya rossiyu uekhat uehat vyekhat vyehat armiya armiyu sluzhba sluzhit delat "
        "chto-to ubezhishche granitsa granitse granicu menia mnie"
    ),
}

#: Telegram app languages whose speakers mostly write Russian to us (Kazakh, Kyrgyz, ...).
HINT_ALIASES: dict[str, str] = {"kk": "ru", "ky": "ru", "tg": "ru", "uz": "ru", "hy": "ru",
                                "ka": "ru", "az": "ru", "tt": "ru", "ba": "ru", "sr": "ru"}
