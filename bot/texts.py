"""The bot's own words, in every language: what the flows cannot say because the bot does it.

Flow texts come from the content pack; these are the strings around the
channel itself — media it does not read, flood control, the language picker,
/privacy and /forget, the handoff confirmation, command descriptions. They
are code, not content: they describe what this code does, so they change
with it. Keep them short, calm and true (a test checks every language is
present and every placeholder is filled).
"""

from __future__ import annotations

from enum import StrEnum

from flows.schema import Lang

ru, uk, be, en, de = Lang.ru, Lang.uk, Lang.be, Lang.en, Lang.de

#: How each language names itself, for the picker.
LANGUAGE_NAMES: dict[Lang, str] = {
    ru: "🇷🇺 Русский", uk: "🇺🇦 Українська", be: "Беларуская", en: "🇬🇧 English", de: "🇩🇪 Deutsch",
}
#: Auto-delete choices in hours (0 = off). Telegram lets bots delete messages for 48 h only.
AUTODELETE_HOURS: tuple[int, ...] = (0, 1, 12, 24, 47)


class T(StrEnum):
    text_only = "text_only"
    edited = "edited"
    group_only = "group_only"
    flood = "flood"
    language_prompt = "language_prompt"
    language_set = "language_set"
    privacy = "privacy"
    autodelete_state_off = "autodelete_state_off"
    autodelete_state_on = "autodelete_state_on"
    autodelete_off = "autodelete_off"
    autodelete_hours = "autodelete_hours"
    autodelete_set = "autodelete_set"
    autodelete_cleared = "autodelete_cleared"
    forget_confirm = "forget_confirm"
    forget_yes = "forget_yes"
    forget_no = "forget_no"
    forget_done = "forget_done"
    forget_tickets = "forget_tickets"
    forget_cancelled = "forget_cancelled"
    forget_done_web = "forget_done_web"
    handoff_queued = "handoff_queued"
    handoff_urgent = "handoff_urgent"
    handoff_again = "handoff_again"
    handoff_web = "handoff_web"
    help = "help"
    sorry = "sorry"
    done = "done"
    relay_advisor = "relay_advisor"
    relay_claimed = "relay_claimed"
    relay_handed_back = "relay_handed_back"
    relay_closed = "relay_closed"
    relay_requeued = "relay_requeued"
    survey_question = "survey_question"
    survey_yes = "survey_yes"
    survey_no = "survey_no"
    survey_thanks = "survey_thanks"
    survey_stale = "survey_stale"
    queue_saved = "queue_saved"
    queue_position = "queue_position"
    queue_estimate = "queue_estimate"
    queue_unknown = "queue_unknown"
    queue_withdraw = "queue_withdraw"
    withdrawn = "withdrawn"
    withdraw_late = "withdraw_late"
    leave_confirm_queued = "leave_confirm_queued"
    leave_confirm_held = "leave_confirm_held"
    leave_yes = "leave_yes"
    leave_no = "leave_no"
    leave_stay = "leave_stay"
    left_advisor = "left_advisor"
    hours_closed = "hours_closed"


_TEXTS: dict[T, dict[Lang, str]] = {
    T.text_only: {
        ru: "Я читаю только текст. Напишите, пожалуйста, вопрос словами. Фото, голосовые, "
            "видео, стикеры, файлы, геолокацию и контакты бот не открывает и не сохраняет.",
        uk: "Я читаю лише текст. Напишіть, будь ласка, питання словами. Фото, голосові, "
            "відео, стікери, файли, геолокацію й контакти бот не відкриває і не зберігає.",
        be: "Я чытаю толькі тэкст. Напішыце, калі ласка, пытанне словамі. Фота, галасавыя, "
            "відэа, стыкеры, файлы, геалакацыю і кантакты бот не адкрывае і не захоўвае.",
        en: "I can only read text. Please write your question in words. The bot does not open "
            "or keep photos, voice messages, videos, stickers, files, locations or contacts.",
        de: "Ich kann nur Text lesen. Bitte schreiben Sie Ihre Frage in Worten. Fotos, "
            "Sprachnachrichten, Videos, Sticker, Dateien, Standorte und Kontakte öffnet und "
            "speichert der Bot nicht.",
    },
    T.edited: {
        ru: "Я отвечаю только на новые сообщения, не на исправленные. Если вы изменили вопрос, "
            "отправьте его ещё раз новым сообщением.",
        uk: "Я відповідаю лише на нові повідомлення, не на виправлені. Якщо ви змінили питання, "
            "надішліть його ще раз новим повідомленням.",
        be: "Я адказваю толькі на новыя паведамленні, не на выпраўленыя. Калі вы змянілі "
            "пытанне, адпраўце яго яшчэ раз новым паведамленнем.",
        en: "I answer new messages only, not edits. If you changed your question, please send "
            "it again as a new message.",
        de: "Ich antworte nur auf neue Nachrichten, nicht auf bearbeitete. Wenn Sie Ihre Frage "
            "geändert haben, senden Sie sie bitte noch einmal als neue Nachricht.",
    },
    T.group_only: {
        ru: "Я работаю только в личном чате. Напишите мне напрямую и не рассказывайте о своей "
            "ситуации в группе.",
        uk: "Я працюю лише в особистому чаті. Напишіть мені напряму й не розповідайте про свою "
            "ситуацію в групі.",
        be: "Я працую толькі ў асабістым чаце. Напішыце мне наўпрост і не расказвайце пра сваю "
            "сітуацыю ў групе.",
        en: "I only work in a private chat. Please write to me directly, and don't describe "
            "your situation in a group.",
        de: "Ich arbeite nur im privaten Chat. Schreiben Sie mir bitte direkt und schildern "
            "Sie Ihre Lage nicht in einer Gruppe.",
    },
    T.flood: {
        ru: "Вы отправляете много сообщений подряд. Подождите минуту и напишите вопрос одним "
            "сообщением — до тех пор я пропускаю новые сообщения.",
        uk: "Ви надсилаєте багато повідомлень поспіль. Зачекайте хвилину й напишіть питання "
            "одним повідомленням — доти я пропускаю нові повідомлення.",
        be: "Вы адпраўляеце шмат паведамленняў запар. Пачакайце хвіліну і напішыце пытанне "
            "адным паведамленнем — да таго часу я прапускаю новыя паведамленні.",
        en: "You're sending many messages in a row. Please wait a minute, then write your "
            "question in one message — until then I skip new messages.",
        de: "Sie senden viele Nachrichten hintereinander. Bitte warten Sie eine Minute und "
            "schreiben Sie Ihre Frage dann in einer Nachricht — bis dahin überspringe ich neue "
            "Nachrichten.",
    },
    T.language_prompt: {
        ru: "🌐 Выберите язык · "
            "Оберіть мову · Абярыце мову · Choose your language · Sprache wählen",
        uk: "🌐 Оберіть мову · "
            "Выберите язык · Абярыце мову · Choose your language · Sprache wählen",
        be: "🌐 Абярыце мову · "
            "Выберите язык · Оберіть мову · Choose your language · Sprache wählen",
        en: "🌐 Choose your language · "
            "Выберите язык · Оберіть мову · Абярыце мову · Sprache wählen",
        de: "🌐 Sprache wählen · "
            "Выберите язык · Оберіть мову · Абярыце мову · Choose your language",
    },
    T.language_set: {
        ru: "Хорошо, дальше по-русски.",
        uk: "Добре, далі українською.",
        be: "Добра, далей па-беларуску.",
        en: "All right, English from now on.",
        de: "In Ordnung, ab jetzt auf Deutsch.",
    },
    T.privacy: {
        ru: "🔒 Что хранит бот\n\n"
            "– Не ваш Telegram ID: вы известны системе только по псевдонимному коду.\n"
            "– Где вы сейчас в разговоре, выбранный язык и настройку автоудаления — пока вы "
            "пишете и ещё 30 дней после последнего сообщения.\n"
            "– Текст сообщений (ваших и бота) — в зашифрованном виде, для консультантов; он "
            "удаляется автоматически по истечении срока хранения.\n"
            "– Если вы попросили человека — зашифрованную ссылку на этот чат, чтобы ответ дошёл.\n"
            "– Фото, голосовые, файлы, геолокацию и контакты бот не читает и не хранит.\n\n"
            "/forget — стереть всё это сейчас.\n\n"
            "Бот может удалять сообщения в этом чате — свои и ваши — через выбранное время "
            "(Telegram разрешает это только в течение 48 часов). {autodelete}",
        uk: "🔒 Що зберігає бот\n\n"
            "– Не ваш Telegram ID: система знає вас лише за псевдонімним кодом.\n"
            "– Де ви зараз у розмові, обрану мову й налаштування автовидалення — поки ви пишете "
            "і ще 30 днів після останнього повідомлення.\n"
            "– Текст повідомлень (ваших і бота) — у зашифрованому вигляді, для консультантів; "
            "він видаляється автоматично після строку зберігання.\n"
            "– Якщо ви попросили людину — зашифроване посилання на цей чат, щоб відповідь дійшла.\n"
            "– Фото, голосові, файли, геолокацію й контакти бот не читає і не зберігає.\n\n"
            "/forget — стерти все це зараз.\n\n"
            "Бот може видаляти повідомлення в цьому чаті — свої й ваші — через обраний час "
            "(Telegram дозволяє це лише протягом 48 годин). {autodelete}",
        be: "🔒 Што захоўвае бот\n\n"
            "– Не ваш Telegram ID: сістэма ведае вас толькі па псеўданімным кодзе.\n"
            "– Дзе вы цяпер у размове, выбраную мову і наладу аўтавыдалення — пакуль вы пішаце "
            "і яшчэ 30 дзён пасля апошняга паведамлення.\n"
            "– Тэкст паведамленняў (вашых і бота) — у зашыфраваным выглядзе, для кансультантаў; "
            "ён выдаляецца аўтаматычна пасля тэрміну захоўвання.\n"
            "– Калі вы папрасілі чалавека — зашыфраваную спасылку на гэты чат, каб адказ дайшоў.\n"
            "– Фота, галасавыя, файлы, геалакацыю і кантакты бот не чытае і не захоўвае.\n\n"
            "/forget — сцерці ўсё гэта зараз.\n\n"
            "Бот можа выдаляць паведамленні ў гэтым чаце — свае і вашы — праз выбраны час "
            "(Telegram дазваляе гэта толькі на працягу 48 гадзін). {autodelete}",
        en: "🔒 What the bot keeps\n\n"
            "– Not your Telegram ID: the system knows you only by a pseudonymous code.\n"
            "– Where you are in the conversation, your language and your auto-delete choice — "
            "while you write and for 30 days after your last message.\n"
            "– The text of messages (yours and the bot's), encrypted, for the counsellors; it is "
            "deleted automatically when the retention period ends.\n"
            "– If you asked for a person: an encrypted reference to this chat, so the answer "
            "reaches you.\n"
            "– The bot does not read or keep photos, voice messages, files, locations or "
            "contacts.\n\n"
            "/forget erases all of this now.\n\n"
            "The bot can delete the messages in this chat — its own and yours — after a time "
            "you choose (Telegram allows this within 48 hours only). {autodelete}",
        de: "🔒 Was der Bot speichert\n\n"
            "– Nicht Ihre Telegram-ID: Das System kennt Sie nur unter einem pseudonymen Code.\n"
            "– Wo Sie im Gespräch sind, Ihre Sprache und Ihre Auto-Lösch-Einstellung — solange "
            "Sie schreiben und 30 Tage nach Ihrer letzten Nachricht.\n"
            "– Den Text der Nachrichten (Ihrer und des Bots), verschlüsselt, für die Beratung; "
            "er wird nach Ablauf der Aufbewahrungsfrist automatisch gelöscht.\n"
            "– Wenn Sie nach einem Menschen gefragt haben: einen verschlüsselten Verweis auf "
            "diesen Chat, damit die Antwort Sie erreicht.\n"
            "– Fotos, Sprachnachrichten, Dateien, Standorte und Kontakte liest und speichert der "
            "Bot nicht.\n\n"
            "/forget löscht all das sofort.\n\n"
            "Der Bot kann die Nachrichten in diesem Chat — seine und Ihre — nach einer von Ihnen "
            "gewählten Zeit löschen (Telegram erlaubt das nur innerhalb von 48 Stunden). "
            "{autodelete}",
    },
    T.autodelete_state_off: {
        ru: "Сейчас: выключено.", uk: "Зараз: вимкнено.", be: "Цяпер: выключана.",
        en: "Now: off.", de: "Derzeit: aus.",
    },
    T.autodelete_state_on: {
        ru: "Сейчас: через {hours} ч.", uk: "Зараз: через {hours} год.",
        be: "Цяпер: праз {hours} гадз.", en: "Now: after {hours} h.",
        de: "Derzeit: nach {hours} Std.",
    },
    T.autodelete_off: {
        ru: "Не удалять", uk: "Не видаляти", be: "Не выдаляць", en: "Don't delete",
        de: "Nicht löschen",
    },
    T.autodelete_hours: {
        ru: "🕒 {hours} ч", uk: "🕒 {hours} год", be: "🕒 {hours} гадз", en: "🕒 {hours} h",
        de: "🕒 {hours} Std",
    },
    T.autodelete_set: {
        ru: "Готово: новые сообщения в этом чате (бота и ваши) будут удаляться через {hours} ч.",
        uk: "Готово: нові повідомлення в цьому чаті (бота й ваші) видалятимуться через "
            "{hours} год.",
        be: "Гатова: новыя паведамленні ў гэтым чаце (бота і вашы) будуць выдаляцца праз "
            "{hours} гадз.",
        en: "Done: new messages in this chat (the bot's and yours) will be deleted after "
            "{hours} h.",
        de: "Erledigt: Neue Nachrichten in diesem Chat (des Bots und Ihre) werden nach {hours} "
            "Std. gelöscht.",
    },
    T.autodelete_cleared: {
        ru: "Готово: автоудаление выключено.", uk: "Готово: автовидалення вимкнено.",
        be: "Гатова: аўтавыдаленне выключана.", en: "Done: auto-delete is off.",
        de: "Erledigt: Auto-Löschen ist aus.",
    },
    T.forget_confirm: {
        ru: "Стереть всё, что горячая линия хранит о вас? Это ваше место в разговоре, язык, "
            "настройки, записи переписки, запросы к консультанту и недавние сообщения бота в "
            "этом чате. Отменить это нельзя.",
        uk: "Стерти все, що гаряча лінія зберігає про вас? Це ваше місце в розмові, мова, "
            "налаштування, записи листування, запити до консультанта й недавні повідомлення "
            "бота в цьому чаті. Скасувати це не можна.",
        be: "Сцерці ўсё, што гарачая лінія захоўвае пра вас? Гэта ваша месца ў размове, мова, "
            "налады, запісы перапіскі, запыты да кансультанта і нядаўнія паведамленні бота ў "
            "гэтым чаце. Адмяніць гэта нельга.",
        en: "Erase everything the hotline keeps about you? That is your place in the "
            "conversation, language, settings, transcripts, requests for a counsellor and the "
            "bot's recent messages in this chat. This cannot be undone.",
        de: "Alles löschen, was die Hotline über Sie speichert? Das sind Ihre Stelle im "
            "Gespräch, Sprache, Einstellungen, Gesprächsverläufe, Anfragen an die Beratung und "
            "die letzten Nachrichten des Bots in diesem Chat. Das lässt sich nicht rückgängig "
            "machen.",
    },
    T.forget_yes: {
        ru: "🧹 Да, стереть всё", uk: "🧹 Так, стерти все", be: "🧹 Так, сцерці ўсё",
        en: "🧹 Yes, erase everything", de: "🧹 Ja, alles löschen",
    },
    T.forget_no: {ru: "Отмена", uk: "Скасувати", be: "Адмена", en: "Cancel", de: "Abbrechen"},
    T.forget_done: {
        ru: "Стёрто: ваше место в разговоре, язык и настройки, счётчики защиты от спама. Записи "
            "переписки удаляются во всей системе. Сообщения этого чата за последние 48 часов "
            "(бота и ваши) удаляются; более старые останутся в Telegram, пока вы не удалите чат "
            "сами.{tickets} Чтобы начать заново: /start",
        uk: "Стерто: ваше місце в розмові, мову й налаштування, лічильники захисту від спаму. "
            "Записи листування видаляються в усій системі. Повідомлення цього чату за останні "
            "48 годин (бота й ваші) видаляються; старіші лишаться в Telegram, доки ви не "
            "видалите чат самі.{tickets} Щоб почати знову: /start",
        be: "Сцёрта: ваша месца ў размове, мова і налады, лічыльнікі абароны ад спаму. Запісы "
            "перапіскі выдаляюцца ва ўсёй сістэме. Паведамленні гэтага чата за апошнія 48 "
            "гадзін (бота і вашы) выдаляюцца; старэйшыя застануцца ў Telegram, пакуль вы не "
            "выдаліце чат самі.{tickets} Каб пачаць нанова: /start",
        en: "Erased: your place in the conversation, language and settings, flood-control "
            "counters. Transcripts are being deleted across the system. This chat's messages "
            "of the last 48 hours (the bot's and yours) are being deleted; older ones stay in "
            "Telegram until you delete the chat yourself.{tickets} To start again: /start",
        de: "Gelöscht: Ihre Stelle im Gespräch, Sprache und Einstellungen, Zähler des "
            "Spam-Schutzes. Gesprächsverläufe werden im ganzen System gelöscht. Die Nachrichten "
            "dieses Chats der letzten 48 Stunden (des Bots und Ihre) werden gelöscht; ältere "
            "bleiben in Telegram, bis Sie den Chat selbst löschen.{tickets} Neu beginnen: /start",
    },
    T.forget_tickets: {
        ru: " Запросы к консультанту удалены: {count}.",
        uk: " Запити до консультанта видалено: {count}.",
        be: " Запыты да кансультанта выдалены: {count}.",
        en: " Requests for a counsellor deleted: {count}.",
        de: " Anfragen an die Beratung gelöscht: {count}.",
    },
    T.forget_done_web: {
        ru: "Стёрто: состояние этого разговора и язык; записи переписки удаляются во всей "
            "системе. Закройте вкладку, чтобы убрать текст и с экрана.",
        uk: "Стерто: стан цієї розмови й мову; записи листування видаляються в усій системі. "
            "Закрийте вкладку, щоб прибрати текст і з екрана.",
        be: "Сцёрта: стан гэтай размовы і мову; запісы перапіскі выдаляюцца ва ўсёй сістэме. "
            "Зачыніце ўкладку, каб прыбраць тэкст і з экрана.",
        en: "Erased: this conversation's state and language; transcripts are being deleted "
            "across the system. Close this tab to clear the screen too.",
        de: "Gelöscht: der Stand dieses Gesprächs und die Sprache; Gesprächsverläufe werden im "
            "ganzen System gelöscht. Schließen Sie den Tab, um auch den Bildschirm zu leeren.",
    },
    T.forget_cancelled: {
        ru: "Ничего не стёрто.", uk: "Нічого не стерто.", be: "Нічога не сцёрта.",
        en: "Nothing was erased.", de: "Es wurde nichts gelöscht.",
    },
    T.handoff_queued: {
        ru: "✅ Я передал ваш разговор команде горячей линии. Человек ответит здесь, в этом "
            "чате. Сколько придётся ждать, сказать пока не могу. Можете и дальше писать сюда.",
        uk: "✅ Я передав вашу розмову команді гарячої лінії. Людина відповість тут, у цьому "
            "чаті. Скільки доведеться чекати, поки сказати не можу. Можете й далі писати сюди.",
        be: "✅ Я перадаў вашу размову камандзе гарачай лініі. Чалавек адкажа тут, у гэтым "
            "чаце. Колькі давядзецца чакаць, пакуль сказаць не магу. Можаце і далей пісаць сюды.",
        en: "✅ I've passed your conversation to the hotline team. A person will answer here, in "
            "this chat. I can't tell yet how long it will take. You can keep writing here.",
        de: "✅ Ich habe Ihr Gespräch an das Hotline-Team weitergegeben. Ein Mensch antwortet "
            "hier in diesem Chat. Wie lange das dauert, kann ich noch nicht sagen. Sie können "
            "weiter hierher schreiben.",
    },
    T.handoff_urgent: {
        ru: "Запрос отмечен как срочный.", uk: "Запит позначено як терміновий.",
        be: "Запыт пазначаны як тэрміновы.", en: "It is marked as urgent.",
        de: "Die Anfrage ist als dringend markiert.",
    },
    T.handoff_again: {
        ru: "Ваш запрос уже у команды — человек ответит здесь. Можете дописать, что важно.",
        uk: "Ваш запит уже в команди — людина відповість тут. Можете дописати, що важливо.",
        be: "Ваш запыт ужо ў каманды — чалавек адкажа тут. Можаце дапісаць, што важна.",
        en: "Your request is already with the team — a person will answer here. You can add "
            "anything important.",
        de: "Ihre Anfrage liegt dem Team schon vor — ein Mensch antwortet hier. Sie können "
            "Wichtiges ergänzen.",
    },
    T.handoff_web: {
        ru: "✅ Я передал ваш разговор команде. Человек ответит в этом окне, пока оно открыто; "
            "надёжнее написать нам в Telegram. Сколько придётся ждать, сказать пока не могу.",
        uk: "✅ Я передав вашу розмову команді. Людина відповість у цьому вікні, поки воно "
            "відкрите; надійніше написати нам у Telegram. Скільки чекати, поки сказати не можу.",
        be: "✅ Я перадаў вашу размову камандзе. Чалавек адкажа ў гэтым акне, пакуль яно "
            "адкрытае; надзейней напісаць нам у Telegram. Колькі чакаць, пакуль сказаць не магу.",
        en: "✅ I've passed your conversation to the team. A person will answer in this window "
            "while it stays open; writing to us on Telegram is more reliable. I can't tell yet "
            "how long it will take.",
        de: "✅ Ich habe Ihr Gespräch an das Team weitergegeben. Ein Mensch antwortet in diesem "
            "Fenster, solange es offen ist; zuverlässiger ist Telegram. Wie lange es dauert, "
            "kann ich noch nicht sagen.",
    },
    T.help: {
        ru: "Напишите вопрос своими словами или выберите тему.\n\n/menu — темы\n/advisor — "
            "поговорить с человеком\n/language — язык\n/privacy — что хранится, автоудаление\n"
            "/forget — стереть ваши данные\n/start — начать заново",
        uk: "Напишіть питання своїми словами або оберіть тему.\n\n/menu — теми\n/advisor — "
            "поговорити з людиною\n/language — мова\n/privacy — що зберігається, автовидалення\n"
            "/forget — стерти ваші дані\n/start — почати знову",
        be: "Напішыце пытанне сваімі словамі або абярыце тэму.\n\n/menu — тэмы\n/advisor — "
            "пагаварыць з чалавекам\n/language — мова\n/privacy — што захоўваецца, "
            "аўтавыдаленне\n/forget — сцерці вашы даныя\n/start — пачаць нанова",
        en: "Write your question in your own words or pick a topic.\n\n/menu — topics\n/advisor "
            "— talk to a person\n/language — language\n/privacy — what is kept, auto-delete\n"
            "/forget — erase your data\n/start — start again",
        de: "Schreiben Sie Ihre Frage in eigenen Worten oder wählen Sie ein Thema.\n\n/menu — "
            "Themen\n/advisor — mit einem Menschen sprechen\n/language — Sprache\n/privacy — was "
            "gespeichert wird, Auto-Löschen\n/forget — Ihre Daten löschen\n/start — neu beginnen",
    },
    T.sorry: {
        ru: "Извините, у меня что-то сломалось. Попробуйте ещё раз или отправьте /advisor, "
            "чтобы позвать человека.",
        uk: "Вибачте, у мене щось зламалося. Спробуйте ще раз або надішліть /advisor, щоб "
            "покликати людину.",
        be: "Прабачце, у мяне нешта зламалася. Паспрабуйце яшчэ раз або адпраўце /advisor, каб "
            "паклікаць чалавека.",
        en: "Sorry, something broke on my side. Please try again, or send /advisor to reach a "
            "person.",
        de: "Entschuldigung, bei mir ist etwas schiefgegangen. Versuchen Sie es noch einmal oder "
            "senden Sie /advisor, um einen Menschen zu erreichen.",
    },
    T.done: {ru: "Готово", uk: "Готово", be: "Гатова", en: "Done", de: "Erledigt"},
    T.relay_advisor: {
        ru: "💬 Консультант {service}:", uk: "💬 Консультант {service}:",
        be: "💬 Кансультант {service}:", en: "💬 {service} advisor:",
        de: "💬 Beratung {service}:",
    },
    T.relay_claimed: {
        ru: "👤 Ваш разговор взял человек из команды {service}. Ответ придёт сюда, в этот чат. "
            "Пока разговор у консультанта, бот сам не отвечает.",
        uk: "👤 Вашу розмову взяла людина з команди {service}. Відповідь прийде сюди, в цей "
            "чат. Поки розмова в консультанта, бот сам не відповідає.",
        be: "👤 Вашу размову ўзяў чалавек з каманды {service}. Адказ прыйдзе сюды, у гэты чат. "
            "Пакуль размова ў кансультанта, бот сам не адказвае.",
        en: "👤 A person from the {service} team has taken your conversation and will answer "
            "here, in this chat. While they have it, the bot does not answer by itself.",
        de: "👤 Ein Mensch aus dem {service}-Team hat Ihr Gespräch übernommen und antwortet "
            "hier in diesem Chat. Solange die Beratung es hat, antwortet der Bot nicht selbst.",
    },
    T.relay_handed_back: {
        ru: "Консультант вернул разговор боту. /menu — темы, /advisor — снова позвать человека.",
        uk: "Консультант повернув розмову боту. /menu — теми, /advisor — знову покликати людину.",
        be: "Кансультант вярнуў размову боту. /menu — тэмы, /advisor — зноў паклікаць чалавека.",
        en: "The advisor handed the conversation back to the bot. /menu shows the topics; "
            "/advisor reaches a person again.",
        de: "Die Beratung hat das Gespräch an den Bot zurückgegeben. /menu zeigt die Themen; "
            "/advisor erreicht wieder einen Menschen.",
    },
    T.relay_closed: {
        ru: "Разговор с консультантом завершён. Если нужно ещё, напишите /advisor. /forget "
            "стирает ваши данные.",
        uk: "Розмову з консультантом завершено. Якщо потрібно ще, напишіть /advisor. /forget "
            "стирає ваші дані.",
        be: "Размова з кансультантам скончана. Калі трэба яшчэ, напішыце /advisor. /forget "
            "сцірае вашы даныя.",
        en: "The conversation with the advisor is closed. If you need more, write /advisor. "
            "/forget erases your data.",
        de: "Das Gespräch mit der Beratung ist beendet. Wenn Sie mehr brauchen, schreiben Sie "
            "/advisor. /forget löscht Ihre Daten.",
    },
    T.relay_requeued: {
        ru: "Ваш разговор снова в очереди: ответит следующий свободный консультант, здесь же. "
            "Можете писать дальше — сообщения сохраняются для него.",
        uk: "Ваша розмова знову в черзі: відповість наступний вільний консультант, тут же. "
            "Можете писати далі — повідомлення зберігаються для нього.",
        be: "Ваша размова зноў у чарзе: адкажа наступны вольны кансультант, тут жа. Можаце "
            "пісаць далей — паведамленні захоўваюцца для яго.",
        en: "Your conversation is back in the queue: the next free advisor will answer here. "
            "You can keep writing — your messages are kept for them.",
        de: "Ihr Gespräch ist wieder in der Warteschlange: Die nächste freie Beratung antwortet "
            "hier. Sie können weiter schreiben — Ihre Nachrichten werden für sie aufbewahrt.",
    },
    T.survey_question: {
        ru: "Помог ли вам этот разговор? Ответ необязателен и анонимен.",
        uk: "Чи допомогла вам ця розмова? Відповідь необов'язкова й анонімна.",
        be: "Ці дапамагла вам гэтая размова? Адказ неабавязковы і ананімны.",
        en: "Did this conversation help you? Answering is optional and anonymous.",
        de: "Hat Ihnen dieses Gespräch geholfen? Die Antwort ist freiwillig und anonym.",
    },
    T.survey_yes: {ru: "👍 Да", uk: "👍 Так", be: "👍 Так", en: "👍 Yes", de: "👍 Ja"},
    T.survey_no: {
        ru: "👎 Не очень", uk: "👎 Не дуже", be: "👎 Не вельмі", en: "👎 Not really",
        de: "👎 Eher nicht",
    },
    T.survey_thanks: {
        ru: "Спасибо за ответ.", uk: "Дякуємо за відповідь.", be: "Дзякуй за адказ.",
        en: "Thank you for answering.", de: "Danke für Ihre Antwort.",
    },
    T.survey_stale: {
        ru: "Этот вопрос уже закрыт. Спасибо!", uk: "Це питання вже закрите. Дякуємо!",
        be: "Гэтае пытанне ўжо закрытае. Дзякуй!",
        en: "This question is no longer open. Thank you!",
        de: "Diese Frage ist nicht mehr offen. Danke!",
    },
    T.queue_saved: {
        ru: "Ваше сообщение сохранено для консультанта.",
        uk: "Ваше повідомлення збережено для консультанта.",
        be: "Ваша паведамленне захавана для кансультанта.",
        en: "Your message is kept for the advisor.",
        de: "Ihre Nachricht wird für die Beratung aufbewahrt.",
    },
    T.queue_position: {
        ru: "Вы {position}-й в очереди к человеку.", uk: "Ви {position}-й у черзі до людини.",
        be: "Вы {position}-і ў чарзе да чалавека.", en: "You are number {position} in the "
        "queue for a person.", de: "Sie sind Nummer {position} in der Warteschlange für einen "
        "Menschen.",
    },
    T.queue_estimate: {
        ru: "Недавно ждать приходилось около {minutes} мин — это не обещание.",
        uk: "Нещодавно чекати доводилося близько {minutes} хв — це не обіцянка.",
        be: "Нядаўна чакаць даводзілася каля {minutes} хв — гэта не абяцанне.",
        en: "Recently the wait was about {minutes} min — that is not a promise.",
        de: "Zuletzt dauerte das Warten etwa {minutes} Min. — das ist kein Versprechen.",
    },
    T.queue_unknown: {
        ru: "Сколько придётся ждать, честно сказать пока не могу.",
        uk: "Скільки доведеться чекати, чесно сказати поки не можу.",
        be: "Колькі давядзецца чакаць, шчыра сказаць пакуль не магу.",
        en: "I can't honestly say yet how long it will take.",
        de: "Wie lange es dauert, kann ich ehrlich gesagt noch nicht sagen.",
    },
    T.queue_withdraw: {
        ru: "↩️ Вернуться к боту", uk: "↩️ Повернутися до бота", be: "↩️ Вярнуцца да бота",
        en: "↩️ Back to the bot", de: "↩️ Zurück zum Bot",
    },
    T.withdrawn: {
        ru: "Вы вышли из очереди, снова отвечает бот. /advisor — позвать человека, когда "
            "захотите.",
        uk: "Ви вийшли з черги, знову відповідає бот. /advisor — покликати людину, коли "
            "захочете.",
        be: "Вы выйшлі з чаргі, зноў адказвае бот. /advisor — паклікаць чалавека, калі "
            "захочаце.",
        en: "You've left the queue; the bot answers again. /advisor reaches a person whenever "
            "you want.",
        de: "Sie haben die Warteschlange verlassen; der Bot antwortet wieder. /advisor erreicht "
            "jederzeit einen Menschen.",
    },
    T.withdraw_late: {
        ru: "Вы сейчас не в очереди: либо разговор уже у консультанта, либо запрос закрыт.",
        uk: "Ви зараз не в черзі: або розмова вже в консультанта, або запит закрито.",
        be: "Вы цяпер не ў чарзе: або размова ўжо ў кансультанта, або запыт закрыты.",
        en: "You are not in the queue now: either an advisor already has your conversation, or "
            "the request was closed.",
        de: "Sie sind gerade nicht in der Warteschlange: Entweder hat die Beratung Ihr Gespräch "
            "schon, oder die Anfrage ist geschlossen.",
    },
    T.leave_confirm_queued: {
        ru: "Вы ждёте человека. Выйти из очереди и вернуться к боту?",
        uk: "Ви чекаєте на людину. Вийти з черги й повернутися до бота?",
        be: "Вы чакаеце чалавека. Выйсці з чаргі і вярнуцца да бота?",
        en: "You are waiting for a person. Leave the queue and go back to the bot?",
        de: "Sie warten auf einen Menschen. Die Warteschlange verlassen und zum Bot zurück?",
    },
    T.leave_confirm_held: {
        ru: "С вами сейчас говорит человек. Завершить этот разговор и вернуться к боту?",
        uk: "З вами зараз говорить людина. Завершити цю розмову й повернутися до бота?",
        be: "З вамі цяпер размаўляе чалавек. Скончыць гэтую размову і вярнуцца да бота?",
        en: "A person is talking with you now. End that conversation and go back to the bot?",
        de: "Gerade spricht ein Mensch mit Ihnen. Dieses Gespräch beenden und zum Bot zurück?",
    },
    T.leave_yes: {
        ru: "Да, к боту", uk: "Так, до бота", be: "Так, да бота", en: "Yes, back to the bot",
        de: "Ja, zum Bot",
    },
    T.leave_no: {
        ru: "Нет, остаться", uk: "Ні, залишитися", be: "Не, застацца", en: "No, stay",
        de: "Nein, bleiben",
    },
    T.leave_stay: {
        ru: "Хорошо, всё остаётся как было.", uk: "Добре, усе лишається як було.",
        be: "Добра, усё застаецца як было.", en: "OK, nothing changed.",
        de: "Gut, es bleibt alles, wie es war.",
    },
    T.left_advisor: {
        ru: "Разговор с консультантом завершён, снова отвечает бот.",
        uk: "Розмову з консультантом завершено, знову відповідає бот.",
        be: "Размова з кансультантам скончана, зноў адказвае бот.",
        en: "The conversation with the advisor has ended; the bot answers again.",
        de: "Das Gespräch mit der Beratung ist beendet; der Bot antwortet wieder.",
    },
    T.hours_closed: {
        ru: "🕘 Сейчас консультанты не на связи. Следующая смена: {when} ({tz}). Ваш запрос "
            "остаётся в очереди до тех пор.",
        uk: "🕘 Зараз консультанти не на зв'язку. Наступна зміна: {when} ({tz}). Ваш запит "
            "лишається в черзі до того часу.",
        be: "🕘 Цяпер кансультанты не на сувязі. Наступная змена: {when} ({tz}). Ваш запыт "
            "застаецца ў чарзе да таго часу.",
        en: "🕘 Advisors are not on duty right now. Next shift: {when} ({tz}). Your request "
            "stays in the queue until then.",
        de: "🕘 Gerade ist keine Beratung im Dienst. Nächste Schicht: {when} ({tz}). Ihre "
            "Anfrage bleibt bis dahin in der Warteschlange.",
    },
}

#: Weekday abbreviations (Monday first) for "next shift" times.
WEEKDAYS: dict[Lang, tuple[str, ...]] = {
    ru: ("пн", "вт", "ср", "чт", "пт", "сб", "вс"),
    uk: ("пн", "вт", "ср", "чт", "пт", "сб", "нд"),
    be: ("пн", "аў", "ср", "чц", "пт", "сб", "нд"),
    en: ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    de: ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"),
}

#: /command descriptions for setMyCommands, per language (Telegram: 1–256 characters).
COMMANDS: dict[str, dict[Lang, str]] = {
    "start": {ru: "Начать заново", uk: "Почати знову", be: "Пачаць нанова",
              en: "Start again", de: "Neu beginnen"},
    "menu": {ru: "Темы", uk: "Теми", be: "Тэмы", en: "Topics", de: "Themen"},
    "advisor": {ru: "Поговорить с человеком", uk: "Поговорити з людиною",
                be: "Пагаварыць з чалавекам", en: "Talk to a person",
                de: "Mit einem Menschen sprechen"},
    "language": {ru: "Язык", uk: "Мова", be: "Мова", en: "Language", de: "Sprache"},
    "privacy": {ru: "Что хранится, автоудаление", uk: "Що зберігається, автовидалення",
                be: "Што захоўваецца, аўтавыдаленне", en: "What is kept, auto-delete",
                de: "Was gespeichert wird, Auto-Löschen"},
    "forget": {ru: "Стереть мои данные", uk: "Стерти мої дані", be: "Сцерці мае даныя",
               en: "Erase my data", de: "Meine Daten löschen"},
    "help": {ru: "Помощь", uk: "Допомога", be: "Дапамога", en: "Help", de: "Hilfe"},
}


def text(key: T, lang: Lang, **fields: object) -> str:
    """``key`` in ``lang`` (Russian when missing), with ``{fields}`` filled in."""
    template = _TEXTS[key].get(lang) or _TEXTS[key][ru]
    return template.format(**fields) if fields else template


def all_texts() -> dict[T, dict[Lang, str]]:
    """Every string, for the completeness test."""
    return _TEXTS
