"""Respondent-facing strings in English and Malay, chosen by the Slack user's locale."""

from __future__ import annotations

from collections.abc import Mapping

from blocks import triage_catalog, web_catalog
from bot.domain import errors

DEFAULT_LOCALE = "en"

_EN: dict[str, str] = {
    "question.nps": "How likely are you to recommend us to a friend or colleague?",
    "question.csat": "How satisfied are you with our product and service?",
    "question.ces": "How easy is it to get what you need done with us?",
    "question.csat.support": "How satisfied were you with the support you received?",
    "question.ces.support": "How easy was it to get your issue resolved?",
    "question.csat.onboarding": "How satisfied were you with your onboarding?",
    "question.csat.training": "How satisfied were you with the training?",
    "question.ces.renewal": "How easy was it to renew?",
    "scale.nps.low": "not at all likely",
    "scale.nps.high": "extremely likely",
    "scale.csat.low": "very dissatisfied",
    "scale.csat.high": "very satisfied",
    "scale.ces.low": "very difficult",
    "scale.ces.high": "very easy",
    "survey.intro": "We'd love your feedback. It takes one tap.",
    "survey.legend": "{low} = {low_label} · {high} = {high_label}",
    "survey.opt_out": "Don't ask me again",
    "survey.opt_out.confirm_title": "Stop surveys?",
    "survey.opt_out.confirm_text": "We won't send you any more feedback surveys.",
    "survey.opt_out.confirm_yes": "Yes, stop",
    "survey.opt_out.confirm_no": "Keep them",
    "survey.answered": "Thank you! Your answer: *{score}* ({label}).",
    "survey.tell_why": "Tell us why",
    "survey.tell_why.hint": "Optional: tell us the main reason for your score.",
    "survey.commented": "Thanks for telling us why. Your comment:",
    "survey.expired": "This survey has closed. Thank you all the same.",
    "survey.opted_out": "Done: we won't send you any more feedback surveys.",
    "survey.reminder": "A gentle reminder: the survey above still takes just one tap.",
    "modal.title": "Tell us why",
    "modal.submit": "Send",
    "modal.close": "Cancel",
    "modal.label": "What is the main reason for your score?",
    "modal.placeholder": "Optional. Anything you tell us is read by a person.",
    "note.not_yours": "This survey was sent to someone else, so your tap was not recorded.",
    "shared.asked": (
        "{people}: we'd love your feedback, it takes one tap. Your score is private: only you "
        "see it. This channel sees only how many answered."
    ),
    "shared.count": "{answered} of {asked} answered",
    "shared.closed": "This survey has closed: {answered} of {asked} answered. Thank you!",
    "shared.private": "Only you can see this: your answer is not shown in the channel.",
    "note.answered": "You've already answered this survey. Thank you!",
    "note.closed": "This survey has closed, so your tap was not recorded. Thank you all the same.",
    "note.comment_saved": "Thanks! Your comment was saved.",
    "advocacy.thanks": "Thank you! Would you help us spread the word?",
    "advocacy.review": "Leave a review",
    "advocacy.reference": "Be a reference",
    "advocacy.testimonial": "Give a testimonial",
    "advocacy.done": "Thank you, that means a lot!",
    "advocacy.done.offers": "You said yes to {offers}. We'll be in touch soon.",
    "advocacy.done.review": "leaving a review",
    "advocacy.done.reference": "being a reference",
    "advocacy.done.testimonial": "giving a testimonial",
    "advocacy.and": "and",
    "ship.live": "You asked for *{feature}* — it's live. Thank you for asking!",
    "ship.how_to": "Here's how to use it: {url}",
    "plan.told": "You asked for *{feature}* — it's planned. We'll tell you when it's live.",
    "solved.question": "You asked for *{feature}*, which went live a week ago. "
    "Did it solve what you needed?",
    "solved.yes": "Yes",
    "solved.not_quite": "Not quite",
    "solved.send": "Send",
    "solved.what_missing": "What is still missing?",
    "solved.thanks": "Thank you for telling us.",
    "error.not_saved": (
        "Sorry, that did not save: something went wrong on our side. Please try again."
    ),
    "role.refused": (
        "Sorry, this is only for the customer team. Ask your admin to add you to VOC_STAFF."
    ),
    "role.external": "Sorry, this is only for the team that runs these surveys.",
    "role.admin_only": (
        "Only VoC admins can {what}. Ask one of them, or ask to be added to VOC_ADMINS."
    ),
    "role.admin.send": "start surveys",
    "role.admin.ship": "mark features shipped",
    "role.admin.plan": "mark features planned",
    "role.admin.autopilot": "run the autopilot",
    "role.admin.wording": "change the question wording",
    "role.admin.campaigns": "see and change campaigns",
    "role.not_owner": (
        "This follow-up is <@{owner}>'s. Only they, the account's CSM or an admin can change it."
    ),
    "scale.out_of": "out of {high}",
    "wording.first_name": "there",
    "wording.first_name.many": "everyone",
    "wording.product": "us",
    "wording.csm_name": "your account manager",
    "followup.theme.question": "What disappointed you most?",
    "followup.theme.placeholder": "Choose one (optional)",
    "followup.theme.chosen": "What disappointed you most: *{theme}*",
    "followup.theme.hint": "Optional: choose one, then tell us more if you like.",
    "followup.set.intro": "A few more questions, all optional:",
    "followup.set.text_hint": "Type your answer and press Enter",
    "followup.set.choose": "Choose one",
    "theme.product_bug": "Bugs or errors",
    "theme.missing_feature": "A missing feature",
    "theme.usability": "Hard to use",
    "theme.performance": "Speed or reliability",
    "theme.slow_support": "Slow support",
    "theme.unhelpful_support": "Support did not solve it",
    "theme.onboarding": "Getting started",
    "theme.documentation": "Documentation",
    "theme.pricing": "Price or value",
    "theme.integrations": "Integrations",
    "question.exit": "Why are you leaving?",
    "question.csat.milestone": "How satisfied are you with us so far?",
    "exit.intro": "We're sorry to see you go. Would you tell us why? It helps us do better.",
    "exit.open": "Tell us why",
    "exit.modal.title": "Why you're leaving",
    "exit.modal.reasons": "What made you decide to leave? Choose all that apply.",
    "exit.modal.comment": "Anything else you'd like us to know?",
    "exit.modal.placeholder": "Optional. A person reads every answer.",
    "exit.reason.price": "Price",
    "exit.reason.missing_features": "Missing features",
    "exit.reason.hard_to_use": "Hard to use",
    "exit.reason.product_quality": "Product quality or reliability",
    "exit.reason.support": "Support",
    "exit.reason.competitor": "Switched to a competitor",
    "exit.reason.no_longer_needed": "No longer needed",
    "exit.reason.other": "Other",
    "exit.need_reason": "Choose at least one reason.",
    "exit.thanks": "Thank you for telling us. We've passed it on to your account team.",
    "exit.your_reasons": "Your reasons: {reasons}",
    "exit.reminder": "A gentle reminder: we'd still like to know why you're leaving (above).",
    "case.erased.person": "erased on request",
    "case.erased": (
        "The customer's details were erased at their request: name, email and comment. "
        "The {kind} score stays, anonymous, in the figures; the follow-up can still be logged."
    ),
    # what the command line prints (blocks/terminal.py)
    "cli.connected": "Connected to Slack workspace {team} as @{bot}.",
    "cli.forgot": "Forgot {email}; scores are kept, anonymous, for the figures.",
    "cli.webhooks.none": "No webhook was given up on.",
    "cli.forgot.redrawn": "#voc cards (updated in Slack)",
    "cli.forgot.refused": "#voc cards Slack did not update (run `forget {again}` again)",
    "cli.forgot.wal_kept": "SQLite write-ahead log not emptied (another process was reading)",
    "cli.audit.none": "No admin actions recorded yet.",
    "cli.webhooks.head.one": "{count} webhook given up on:",
    "cli.webhooks.head": "{count} webhooks given up on:",
    "cli.webhooks.line": (
        "  {id}  {type}  created {created} UTC  {attempts} attempts  last error: {error}"
    ),
    "cli.webhooks.retry_hint": "Send one again: python -m bot webhooks retry ID",
    "cli.webhooks.due": (
        "Webhook {id} is due again; the next scheduler pass (or run-due) sends it."
    ),
    "cli.count.contact.one": "{count} contact",
    "cli.count.contact": "{count} contacts",
    "cli.count.account.one": "{count} account",
    "cli.count.account": "{count} accounts",
    "cli.import.problems.one": (
        "Nothing was imported: {count} row has problems. Fix them and run the import again:"
    ),
    "cli.import.problems": (
        "Nothing was imported: {count} rows have problems. Fix them and run the import again:"
    ),
    "cli.import.done": (
        "Imported {contacts} ({contacts_new} new, {contacts_updated} updated{contacts_same}) in "
        "{accounts} ({accounts_new} new, {accounts_updated} updated{accounts_same})."
    ),
    "cli.import.same": ", {count} unchanged",
    "cli.import.unchanged": (
        "Unchanged: {contacts} in {accounts}, already here as the file writes them."
    ),
    "cli.import.more": "… and {count} more",
    "cli.import.kinds": "The problems by kind:",
    "cli.count.invitation.one": "{count} invitation",
    "cli.count.invitation": "{count} invitations",
    "cli.progress.rows": "Writing contacts",
    "cli.progress.contacts": "Resolving contacts, {invitations} created",
    "cli.progress.answers": "Writing past answers",
    "cli.history.done.one": (
        "Read {layout}. Imported {count} past answer; {already} were already here. "
        "They count in trends and fatigue; nothing was sent."
    ),
    "cli.history.done": (
        "Read {layout}. Imported {count} past answers; {already} were already here. "
        "They count in trends and fatigue; nothing was sent."
    ),
    # `crm sync` (bot/services/crm_sync.py) and the CRM's mark on imports and accounts
    "cli.crm.synced": "Synced from {crm}: {companies}, {contacts}",
    "cli.crm.would_sync": (
        "Dry run, nothing written. Would sync from {crm}: {companies}, {contacts}"
    ),
    "cli.count.company.one": "{count} company",
    "cli.count.company": "{count} companies",
    "cli.crm.new": "{count} new",
    "cli.crm.changed": "{count} changed",
    "cli.crm.inactive": "{count} inactive",
    "cli.crm.skipped": "{count} skipped",
    "cli.crm.unchanged": "no change",
    "cli.crm.owners.one": "1 owner has no Slack account: {who}",
    "cli.crm.owners": "{count} owners have no Slack account: {who}",
    "cli.crm.stopped": "stopped early: {why}",
    "cli.crm.not_in_crm": (
        "not synced, as {crm} has no field for them: {fields} (set each to the field that "
        "holds it, or blank)"
    ),
    "cli.crm.progress": "{object}: {records} read, page {pages}",
    "cli.crm.more_changes": "… and more (the counts below say how many)",
    "cli.import.crm_owned": (
        "{account}: {field} is kept in {crm}; the next sync will put back {value}"
    ),
    "account.synced": "Synced from {crm} {when}",
    # errors of the use cases (bot/domain/user_errors.py)
    "error.no_account": ('No account matches "{shown}".'),
    "error.no_account.near": ('No account matches "{shown}". Did you mean: {near}?'),
    "error.several_accounts": (
        '"{shown}" matches several accounts: {names}. Type more of the name.'
    ),
    "error.several_accounts.more": (
        '"{shown}" matches several accounts: {names} and {more} more. Type more of the name.'
    ),
    "error.account_gone": "That account no longer exists. Nothing was saved.",
    "error.insight_gone": "That insight no longer exists.",
    "error.not_a_theme": "Not a theme: {unknown}.",
    "error.feature_unnamed": "Name the feature with letters or digits, e.g. #feature:SSO.",
    "error.speaker_not_email": (
        '"{shown}" is not an email address ({why}). Write it like `/voc ana@acme.com: '
        "wants SSO #feature`, or log for the account by its name."
    ),
    "error.no_speaker_with_email": (
        'No contact has the email "{shown}". Import it first, or log for the account by its name.'
    ),
    "error.no_contact_with_email": "No contact has the email {address}. Check the spelling.",
    "error.not_an_email": (
        '"{text}" is not an email address ({why}); write it like ana@example.com'
    ),
    "error.no_contacts_in_account": (
        'No contacts in an account named "{account}". Accounts: {names}.'
    ),
    "error.no_contacts_in_account.none": (
        'No contacts in an account named "{account}". Accounts: none yet.'
    ),
    "error.no_contacts": "No contacts. Import them first: vocbot import contacts FILE.csv",
    "error.crm_unknown_fields": (
        "{crm} has no company field {fields}: set each to a field {crm} has, or leave it "
        "blank to not sync it; nothing was synced"
    ),
    "error.crm_sync_running": (
        "A {crm} sync is already running (started {started}); nothing was done. "
        "Try again when it ends."
    ),
    "error.no_contacts.email": (
        "No contacts with email {email}. Import them first: vocbot import contacts FILE.csv"
    ),
    "error.no_contacts.segment": (
        "No contacts in segment {segment}. Import them first: vocbot import contacts FILE.csv"
    ),
    "error.account_unnamed": "Say which account: `/voc account Acme`.",
    "error.case_gone": "This follow-up no longer exists.",
    "error.bad_follow_up": "{problems}",
    "error.feature_unsaid": "Say which feature: `/voc ship SSO`. `/voc requests` lists them.",
    "error.no_request": ('No feature request is named "{shown}". `/voc requests` lists them.'),
    "error.jira_off": (
        "Jira is not connected: an admin sets JIRA_URL, JIRA_EMAIL, JIRA_TOKEN and JIRA_PROJECT."
    ),
    "error.request_push_usage": "Type `/voc request push ID`, e.g. `/voc request push 12`.",
    "error.several_requests": ('"{shown}" matches several requests: {names}. Type the full name.'),
    "error.already_shipped": (
        "*{shown}* is already shipped; nothing to plan. `/voc requests` lists open ones."
    ),
    "error.not_a_button": "That answer is not one of the buttons. Tap Yes or Not quite.",
    "error.not_a_link": (
        '"{shown}" is not a link. Write it like `/voc ship SSO https://docs.example.com/sso`.'
    ),
    "error.no_digest_channel": "Set DIGEST_CHANNEL (or VOC_CHANNEL) to the channel id to post to.",
    "error.no_report_channel": (
        "Set REPORT_CHANNEL (or DIGEST_CHANNEL, or VOC_CHANNEL) to the channel id to post to."
    ),
    "error.export_format": "Unknown format {format}: use --format csv or --format jsonl.",
    "error.no_dead_letter": (
        "No given-up webhook has id {webhook_id}: `python -m bot webhooks failed` lists them."
    ),
    "error.no_crm_dead_letter": (
        "No CRM push given up on has id {event_id}: `python -m bot crm status` lists them."
    ),
    "error.event_no_contact": "no contact with email {email}; import it first",
    "error.event_no_account": (
        "no account with CRM id or name {reference}; import its contacts first"
    ),
    "error.bot_refused": (
        "Slack refused the bot ({code}): check SLACK_BOT_TOKEN and the scopes users:read, "
        "users:read.email, channels:read and groups:read in manifest.json"
    ),
    "error.token_refused": (
        "SLACK_BOT_TOKEN was refused by Slack ({code}): copy the Bot User OAuth Token "
        "from the app's OAuth & Permissions page again"
    ),
    "error.slack_unreachable": "Slack could not be reached ({cause}): send the event again later",
    "error.slack_transient": "{reason}: send the event again later",
    "error.slack_who.us": "Slack did not answer who we are; try again in a minute.",
    "error.slack_who.them": "Slack did not say who this is; try again in a minute.",
}

_MS: dict[str, str] = {
    "question.nps": "Sejauh manakah anda akan mengesyorkan kami kepada rakan atau rakan sekerja?",
    "question.csat": "Sejauh manakah anda berpuas hati dengan produk dan perkhidmatan kami?",
    "question.ces": "Sejauh manakah mudahnya untuk menyelesaikan urusan anda dengan kami?",
    "question.csat.support": "Sejauh manakah anda berpuas hati dengan sokongan yang diterima?",
    "question.ces.support": "Sejauh manakah mudahnya masalah anda diselesaikan?",
    "question.csat.onboarding": "Sejauh manakah anda berpuas hati dengan proses permulaan anda?",
    "question.csat.training": "Sejauh manakah anda berpuas hati dengan latihan tersebut?",
    "question.ces.renewal": "Sejauh manakah mudahnya untuk memperbaharui langganan?",
    "scale.nps.low": "langsung tidak mungkin",
    "scale.nps.high": "sangat mungkin",
    "scale.csat.low": "sangat tidak berpuas hati",
    "scale.csat.high": "sangat berpuas hati",
    "scale.ces.low": "sangat sukar",
    "scale.ces.high": "sangat mudah",
    "survey.intro": "Kami ingin mendengar maklum balas anda. Hanya satu ketikan.",
    "survey.legend": "{low} = {low_label} · {high} = {high_label}",
    "survey.opt_out": "Jangan tanya saya lagi",
    "survey.opt_out.confirm_title": "Hentikan tinjauan?",
    "survey.opt_out.confirm_text": "Kami tidak akan menghantar tinjauan maklum balas lagi.",
    "survey.opt_out.confirm_yes": "Ya, hentikan",
    "survey.opt_out.confirm_no": "Teruskan",
    "survey.answered": "Terima kasih! Jawapan anda: *{score}* ({label}).",
    "survey.tell_why": "Beritahu sebabnya",
    "survey.tell_why.hint": "Pilihan: beritahu kami sebab utama skor anda.",
    "survey.commented": "Terima kasih kerana memberitahu sebabnya. Komen anda:",
    "survey.expired": "Tinjauan ini telah ditutup. Terima kasih.",
    "survey.opted_out": "Baik: kami tidak akan menghantar tinjauan maklum balas lagi.",
    "survey.reminder": "Peringatan mesra: tinjauan di atas hanya memerlukan satu ketikan.",
    "modal.title": "Beritahu sebabnya",
    "modal.submit": "Hantar",
    "modal.close": "Batal",
    "modal.label": "Apakah sebab utama skor anda?",
    "modal.placeholder": "Pilihan. Setiap komen dibaca oleh seseorang.",
    "note.not_yours": "Tinjauan ini untuk orang lain, jadi ketikan anda tidak direkodkan.",
    "shared.asked": (
        "{people}: kami ingin maklum balas anda, hanya satu ketikan. Skor anda sulit: hanya "
        "anda yang melihatnya. Saluran ini hanya melihat berapa orang telah menjawab."
    ),
    "shared.count": "{answered} daripada {asked} telah menjawab",
    "shared.closed": "Tinjauan ini telah ditutup: {answered} daripada {asked} telah menjawab.",
    "shared.private": "Hanya anda yang melihat ini: jawapan anda tidak ditunjukkan di saluran.",
    "note.answered": "Anda telah menjawab tinjauan ini. Terima kasih!",
    "note.closed": "Tinjauan ini telah ditutup, jadi ketikan anda tidak direkodkan. Terima kasih.",
    "note.comment_saved": "Terima kasih! Komen anda telah disimpan.",
    "advocacy.thanks": "Terima kasih! Sudikah anda membantu kami menyebarkannya?",
    "advocacy.review": "Tulis ulasan",
    "advocacy.reference": "Jadi rujukan",
    "advocacy.testimonial": "Beri testimoni",
    "advocacy.done": "Terima kasih, ia amat bermakna bagi kami!",
    "advocacy.done.offers": "Anda bersetuju untuk {offers}. Kami akan menghubungi anda.",
    "advocacy.done.review": "menulis ulasan",
    "advocacy.done.reference": "menjadi rujukan",
    "advocacy.done.testimonial": "memberi testimoni",
    "advocacy.and": "dan",
    "ship.live": (
        "Anda pernah meminta *{feature}*: kini ia sudah tersedia. "
        "Terima kasih kerana memberitahu kami!"
    ),
    "ship.how_to": "Cara menggunakannya: {url}",
    "plan.told": (
        "Anda pernah meminta *{feature}*: ia kini dalam perancangan. "
        "Kami akan memberitahu anda apabila ia tersedia."
    ),
    "solved.question": (
        "Anda pernah meminta *{feature}*, yang tersedia seminggu lalu. "
        "Adakah ia menyelesaikan keperluan anda?"
    ),
    "solved.yes": "Ya",
    "solved.not_quite": "Belum sepenuhnya",
    "solved.send": "Hantar",
    "solved.what_missing": "Apa yang masih kurang?",
    "solved.thanks": "Terima kasih kerana memberitahu kami.",
    "error.not_saved": ("Maaf, ia tidak disimpan: berlaku masalah di pihak kami. Sila cuba lagi."),
    "role.refused": (
        "Maaf, ini hanya untuk pasukan pelanggan. Minta pentadbir menambah anda ke VOC_STAFF."
    ),
    "role.external": "Maaf, ini hanya untuk pasukan yang menjalankan tinjauan ini.",
    "role.admin_only": (
        "Hanya pentadbir VoC boleh {what}. Minta salah seorang daripada mereka, atau minta "
        "ditambah ke VOC_ADMINS."
    ),
    "role.admin.send": "memulakan tinjauan",
    "role.admin.ship": "menandakan ciri sebagai dilancarkan",
    "role.admin.plan": "menandakan ciri sebagai dirancang",
    "role.admin.autopilot": "menjalankan autopilot",
    "role.admin.wording": "mengubah kata-kata soalan",
    "role.admin.campaigns": "melihat dan mengubah kampen",
    "role.not_owner": (
        "Susulan ini milik <@{owner}>. Hanya mereka, CSM akaun atau pentadbir boleh mengubahnya."
    ),
    "scale.out_of": "daripada {high}",
    "wording.first_name": "anda",
    "wording.first_name.many": "semua",
    "wording.product": "kami",
    "wording.csm_name": "pengurus akaun anda",
    "followup.theme.question": "Apakah yang paling mengecewakan anda?",
    "followup.theme.placeholder": "Pilih satu (pilihan)",
    "followup.theme.chosen": "Perkara yang paling mengecewakan anda: *{theme}*",
    "followup.theme.hint": "Pilihan: pilih satu, kemudian beritahu kami lebih lanjut jika mahu.",
    "followup.set.intro": "Beberapa soalan lagi, semuanya pilihan:",
    "followup.set.text_hint": "Taip jawapan anda dan tekan Enter",
    "followup.set.choose": "Pilih satu",
    "theme.product_bug": "Pepijat atau ralat",
    "theme.missing_feature": "Ciri yang tiada",
    "theme.usability": "Sukar digunakan",
    "theme.performance": "Kelajuan atau kebolehpercayaan",
    "theme.slow_support": "Sokongan yang lambat",
    "theme.unhelpful_support": "Sokongan tidak menyelesaikannya",
    "theme.onboarding": "Proses permulaan",
    "theme.documentation": "Dokumentasi",
    "theme.pricing": "Harga atau nilai",
    "theme.integrations": "Integrasi",
    "question.exit": "Mengapa anda meninggalkan kami?",
    "question.csat.milestone": "Sejauh manakah anda berpuas hati dengan kami setakat ini?",
    "exit.intro": (
        "Kami sedih melihat anda pergi. Boleh beritahu kami sebabnya? "
        "Ia membantu kami menjadi lebih baik."
    ),
    "exit.open": "Beritahu kami sebabnya",
    "exit.modal.title": "Sebab anda pergi",
    "exit.modal.reasons": (
        "Apakah yang membuat anda memutuskan untuk pergi? Pilih semua yang berkenaan."
    ),
    "exit.modal.comment": "Ada apa-apa lagi yang anda ingin kami tahu?",
    "exit.modal.placeholder": "Pilihan. Setiap jawapan dibaca oleh seseorang.",
    "exit.reason.price": "Harga",
    "exit.reason.missing_features": "Ciri yang tiada",
    "exit.reason.hard_to_use": "Sukar digunakan",
    "exit.reason.product_quality": "Kualiti atau kebolehpercayaan produk",
    "exit.reason.support": "Sokongan",
    "exit.reason.competitor": "Beralih kepada pesaing",
    "exit.reason.no_longer_needed": "Tidak diperlukan lagi",
    "exit.reason.other": "Lain-lain",
    "exit.need_reason": "Pilih sekurang-kurangnya satu sebab.",
    "exit.thanks": (
        "Terima kasih kerana memberitahu kami. Kami telah menyampaikannya kepada pasukan "
        "akaun anda."
    ),
    "exit.your_reasons": "Sebab anda: {reasons}",
    "exit.reminder": "Peringatan mesra: kami masih ingin tahu mengapa anda pergi (di atas).",
    "case.erased.person": "dipadam atas permintaan",
    "case.erased": (
        "Butiran pelanggan ini telah dipadam atas permintaan mereka: nama, e-mel dan komen. "
        "Skor {kind} kekal tanpa nama dalam angka; susulan masih boleh direkodkan."
    ),
    # what the command line prints (blocks/terminal.py)
    "cli.connected": "Disambungkan ke ruang kerja Slack {team} sebagai @{bot}.",
    "cli.forgot": "{email} telah dilupakan; skor disimpan, tanpa nama, untuk angka.",
    "cli.webhooks.none": "Tiada webhook yang ditinggalkan.",
    "cli.forgot.redrawn": "kad #voc (dikemas kini dalam Slack)",
    "cli.forgot.refused": (
        "kad #voc yang tidak dikemas kini oleh Slack (jalankan `forget {again}` sekali lagi)"
    ),
    "cli.forgot.wal_kept": "Log write-ahead SQLite tidak dikosongkan (proses lain sedang membaca)",
    "cli.audit.none": "Belum ada tindakan admin direkodkan.",
    "cli.webhooks.head.one": "{count} webhook ditinggalkan:",
    "cli.webhooks.head": "{count} webhook ditinggalkan:",
    "cli.webhooks.line": (
        "  {id}  {type}  dicipta {created} UTC  {attempts} cubaan  ralat terakhir: {error}"
    ),
    "cli.webhooks.retry_hint": "Hantar semula satu: python -m bot webhooks retry ID",
    "cli.webhooks.due": (
        "Webhook {id} perlu dihantar semula; laluan penjadual seterusnya (atau run-due) "
        "menghantarnya."
    ),
    "cli.count.contact.one": "{count} kenalan",
    "cli.count.contact": "{count} kenalan",
    "cli.count.account.one": "{count} akaun",
    "cli.count.account": "{count} akaun",
    "cli.import.problems.one": (
        "Tiada apa-apa diimport: {count} baris bermasalah. Betulkan dan jalankan import semula:"
    ),
    "cli.import.problems": (
        "Tiada apa-apa diimport: {count} baris bermasalah. Betulkan dan jalankan import semula:"
    ),
    "cli.import.done": (
        "Diimport {contacts} ({contacts_new} baharu, {contacts_updated} dikemas kini"
        "{contacts_same}) dalam {accounts} ({accounts_new} baharu, {accounts_updated} "
        "dikemas kini{accounts_same})."
    ),
    "cli.import.same": ", {count} tidak berubah",
    "cli.import.unchanged": (
        "Tidak berubah: {contacts} dalam {accounts}, sudah ada seperti yang ditulis fail."
    ),
    "cli.import.more": "… dan {count} lagi",
    "cli.import.kinds": "Masalah mengikut jenis:",
    "cli.count.invitation.one": "{count} jemputan",
    "cli.count.invitation": "{count} jemputan",
    "cli.progress.rows": "Menulis kenalan",
    "cli.progress.contacts": "Menyemak kenalan, {invitations} dicipta",
    "cli.progress.answers": "Menulis jawapan lalu",
    "cli.history.done.one": (
        "Dibaca {layout}. Diimport {count} jawapan lalu; {already} sudah ada. "
        "Ia dikira dalam trend dan keletihan; tiada apa-apa dihantar."
    ),
    "cli.history.done": (
        "Dibaca {layout}. Diimport {count} jawapan lalu; {already} sudah ada. "
        "Ia dikira dalam trend dan keletihan; tiada apa-apa dihantar."
    ),
    "cli.crm.synced": "Disegerakkan dari {crm}: {companies}, {contacts}",
    "cli.crm.would_sync": (
        "Larian cuba, tiada apa ditulis. Akan disegerakkan dari {crm}: {companies}, {contacts}"
    ),
    "cli.count.company.one": "{count} syarikat",
    "cli.count.company": "{count} syarikat",
    "cli.crm.new": "{count} baharu",
    "cli.crm.changed": "{count} berubah",
    "cli.crm.inactive": "{count} tidak aktif",
    "cli.crm.skipped": "{count} dilangkau",
    "cli.crm.unchanged": "tiada perubahan",
    "cli.crm.owners.one": "1 pemilik tiada akaun Slack: {who}",
    "cli.crm.owners": "{count} pemilik tiada akaun Slack: {who}",
    "cli.crm.stopped": "berhenti awal: {why}",
    "cli.crm.not_in_crm": (
        "tidak disegerakkan kerana {crm} tiada medan untuknya: {fields} (tetapkan setiap "
        "satu kepada medan yang memegangnya, atau kosongkan)"
    ),
    "cli.crm.progress": "{object}: {records} dibaca, halaman {pages}",
    "cli.crm.more_changes": "… dan lagi (bilangan di bawah menyatakan berapa banyak)",
    "cli.import.crm_owned": (
        "{account}: {field} disimpan dalam {crm}; penyegerakan seterusnya akan mengembalikan "
        "{value}"
    ),
    "account.synced": "Disegerakkan dari {crm} {when}",
    # errors of the use cases (bot/domain/user_errors.py)
    "error.no_account": ('Tiada akaun sepadan dengan "{shown}".'),
    "error.no_account.near": ('Tiada akaun sepadan dengan "{shown}". Maksud anda: {near}?'),
    "error.several_accounts": (
        '"{shown}" sepadan dengan beberapa akaun: {names}. Taip lebih banyak daripada nama itu.'
    ),
    "error.several_accounts.more": (
        '"{shown}" sepadan dengan beberapa akaun: {names} dan {more} lagi. Taip lebih '
        "banyak daripada nama itu."
    ),
    "error.account_gone": "Akaun itu sudah tiada. Tiada apa-apa yang disimpan.",
    "error.insight_gone": "Pandangan itu sudah tiada.",
    "error.not_a_theme": "Bukan tema: {unknown}.",
    "error.feature_unnamed": "Namakan ciri itu dengan huruf atau angka, cth. #feature:SSO.",
    "error.speaker_not_email": (
        '"{shown}" bukan alamat e-mel ({why}). Tulis seperti `/voc ana@acme.com: wants '
        "SSO #feature`, atau log untuk akaun itu mengikut namanya."
    ),
    "error.no_speaker_with_email": (
        'Tiada kenalan dengan e-mel "{shown}". Import dahulu, atau log untuk akaun itu '
        "mengikut namanya."
    ),
    "error.no_contact_with_email": "Tiada kenalan dengan e-mel {address}. Semak ejaannya.",
    "error.not_an_email": ('"{text}" bukan alamat e-mel ({why}); tulis seperti ana@example.com'),
    "error.no_contacts_in_account": (
        'Tiada kenalan dalam akaun bernama "{account}". Akaun: {names}.'
    ),
    "error.no_contacts_in_account.none": (
        'Tiada kenalan dalam akaun bernama "{account}". Akaun: belum ada.'
    ),
    "error.no_contacts": "Tiada kenalan. Import dahulu: vocbot import contacts FILE.csv",
    "error.crm_unknown_fields": (
        "{crm} tiada medan syarikat {fields}: tetapkan setiap satu kepada medan yang ada dalam "
        "{crm}, atau biarkan kosong untuk tidak menyegerakkannya; tiada apa disegerakkan"
    ),
    "error.crm_sync_running": (
        "Penyegerakan {crm} sedang berjalan (bermula {started}); tiada apa dilakukan. "
        "Cuba lagi apabila ia selesai."
    ),
    "error.no_contacts.email": (
        "Tiada kenalan dengan e-mel {email}. Import dahulu: vocbot import contacts FILE.csv"
    ),
    "error.no_contacts.segment": (
        "Tiada kenalan dalam segmen {segment}. Import dahulu: vocbot import contacts FILE.csv"
    ),
    "error.account_unnamed": "Nyatakan akaun mana: `/voc account Acme`.",
    "error.case_gone": "Susulan ini sudah tiada.",
    "error.bad_follow_up": "{problems}",
    "error.feature_unsaid": (
        "Nyatakan ciri mana: `/voc ship SSO`. `/voc requests` menyenaraikannya."
    ),
    "error.no_request": (
        'Tiada permintaan ciri bernama "{shown}". `/voc requests` menyenaraikannya.'
    ),
    "error.jira_off": (
        "Jira belum disambungkan: admin perlu menetapkan JIRA_URL, JIRA_EMAIL, JIRA_TOKEN dan "
        "JIRA_PROJECT."
    ),
    "error.request_push_usage": "Taip `/voc request push ID`, contohnya `/voc request push 12`.",
    "error.several_requests": (
        '"{shown}" sepadan dengan beberapa permintaan: {names}. Taip nama penuh.'
    ),
    "error.already_shipped": (
        "*{shown}* sudah dilancarkan; tiada apa untuk dirancang. `/voc requests` "
        "menyenaraikan yang terbuka."
    ),
    "error.not_a_button": "Jawapan itu bukan salah satu butang. Ketik Ya atau Belum sepenuhnya.",
    "error.not_a_link": (
        '"{shown}" bukan pautan. Tulis seperti `/voc ship SSO https://docs.example.com/sso`.'
    ),
    "error.no_digest_channel": (
        "Tetapkan DIGEST_CHANNEL (atau VOC_CHANNEL) kepada id saluran untuk dihantar."
    ),
    "error.no_report_channel": (
        "Tetapkan REPORT_CHANNEL (atau DIGEST_CHANNEL, atau VOC_CHANNEL) kepada id saluran"
        " untuk dihantar."
    ),
    "error.export_format": (
        "Format {format} tidak dikenali: gunakan --format csv atau --format jsonl."
    ),
    "error.no_dead_letter": (
        "Tiada webhook yang ditinggalkan dengan id {webhook_id}: `python -m bot webhooks "
        "failed` menyenaraikannya."
    ),
    "error.no_crm_dead_letter": (
        "Tiada tolakan CRM yang ditinggalkan dengan id {event_id}: `python -m bot crm "
        "status` menyenaraikannya."
    ),
    "error.event_no_contact": "tiada kenalan dengan e-mel {email}; import dahulu",
    "error.event_no_account": (
        "tiada akaun dengan id CRM atau nama {reference}; import kenalannya dahulu"
    ),
    "error.bot_refused": (
        "Slack menolak bot ({code}): semak SLACK_BOT_TOKEN dan skop users:read, "
        "users:read.email, channels:read dan groups:read dalam manifest.json"
    ),
    "error.token_refused": (
        "SLACK_BOT_TOKEN ditolak oleh Slack ({code}): salin semula Bot User OAuth Token "
        "dari halaman OAuth & Permissions aplikasi"
    ),
    "error.slack_unreachable": (
        "Slack tidak dapat dihubungi ({cause}): hantar acara itu lagi kemudian"
    ),
    "error.slack_transient": "{reason}: hantar acara itu lagi kemudian",
    "error.slack_who.us": "Slack tidak menjawab siapa kami; cuba lagi dalam seminit.",
    "error.slack_who.them": "Slack tidak menyatakan siapa ini; cuba lagi dalam seminit.",
}

_EN.update(web_catalog.EN)  # the survey email and page (blocks/web_catalog.py)
_MS.update(web_catalog.MS)
_EN.update(triage_catalog.EN)  # request states told to customers (blocks/triage_catalog.py)
_MS.update(triage_catalog.MS)
CATALOG: dict[str, dict[str, str]] = {"en": _EN, "ms": _MS}


def language(locale: str | None) -> str:
    """`ms-MY` → `ms`; anything we have no catalog for falls back to English."""
    code = (locale or DEFAULT_LOCALE).replace("_", "-").split("-")[0].lower()
    return code if code in CATALOG else DEFAULT_LOCALE


def t(locale: str | None, key: str, **values: object) -> str:
    """The message `key` in the user's language, formatted with `values`."""
    text = CATALOG[language(locale)].get(key) or _EN[key]
    return text.format(**values) if values else text


def question(locale: str | None, kind: str, trigger: str) -> str:
    """The survey question for a kind, specialised by trigger where we have a wording."""
    specific = f"question.{kind}.{trigger}"
    return t(locale, specific if specific in _EN else f"question.{kind}")


def question_template(locale: str | None, kind: str, trigger: str) -> str:
    """The default question as a template (bot/domain/question_text.py): the relationship
    NPS names `{product}`; the others have no placeholder."""
    if kind == "nps" and trigger == "relationship":
        return CATALOG[language(locale)]["question.nps.named"]
    return question(locale, kind, trigger).replace("{", "{{").replace("}", "}}")


def has_own_question(kind: str, trigger: str) -> bool:
    """Whether this trigger asks its own question (e.g. after a ticket), not the kind's."""
    return f"question.{kind}.{trigger}" in _EN


def _told(locale: str | None, key: str, facts: Mapping[str, object]) -> str:
    return t(locale, key, **facts)


errors.use_words(_told)  # a domain error's sentence comes from here (bot/domain/errors.py)
