"""Respondent-facing strings of the survey email and the survey page, English and Malay.

Merged into blocks/catalog.py's catalog, so `t(locale, key)` finds them like any other.
"""

from __future__ import annotations

EN: dict[str, str] = {
    "question.nps.named": "How likely are you to recommend {product} to a friend or colleague?",
    "email.subject": "{product}: one quick question",
    "email.subject.reminder": "Reminder: {product} would love your answer",
    "email.greeting": "Hi {name},",
    "email.greeting.anonymous": "Hello,",
    "email.intro": "We'd love your feedback. Choose a score below: it opens a short page.",
    "email.reminder": "A gentle reminder: our one-question survey is still open.",
    "email.pick": "Choose your score:",
    "email.footer": "You get this because you use {product}.",
    "email.unsubscribe": "Don't want these emails? Unsubscribe",
    "page.title": "Your feedback",
    "page.choose": "Your score",
    "page.comment": "What is the main reason for your score? (optional)",
    "page.submit": "Send my answer",
    "page.hello": "Hi {name}!",
    "page.thanks": "Thank you! Your answer: {score}.",
    "page.thanks.comment": "We read every comment.",
    "page.already": "You've already answered this survey: your score was {score}. Thank you!",
    "page.closed": "This survey has closed. Thank you all the same.",
    "page.unknown": "This link is not valid any more. Thank you for your time.",
    "page.unavailable": "Something went wrong on our side: please try again in a minute.",
    "page.unsubscribe.ask": "Stop receiving feedback surveys by email?",
    "page.unsubscribe.button": "Unsubscribe",
    "page.unsubscribed": "Done: we won't send you any more feedback surveys.",
    "page.fix.score": "Choose a score from {low} to {high}, then send your answer again.",
    "page.fix.form": "This form has expired: open the link in your email again.",
    "page.fix.comment": "Your comment is too long: keep it under {limit} characters.",
    "page.busy": "Too many requests just now: wait a minute, then try again.",
    "page.advocacy.done": "Thank you, that means a lot! We'll be in touch.",
    # The brand's subject, and the thank-you page's next step (bot/domain/brand.py).
    "email.subject.reminder.prefix": "Reminder: {subject}",
    "page.next.review": "Would you share your experience in a short review? It helps others.",
    "page.next.review.button": "Write a review",
    "page.next.case": "Thank you for telling us. Your CSM will be in touch shortly.",
    "page.next.done": "You can close this page now.",
}

MS: dict[str, str] = {
    "question.nps.named": (
        "Sejauh manakah anda akan mengesyorkan {product} kepada rakan atau rakan sekerja?"
    ),
    "email.subject": "{product}: satu soalan ringkas",
    "email.subject.reminder": "Peringatan: {product} ingin mendengar jawapan anda",
    "email.greeting": "Hai {name},",
    "email.greeting.anonymous": "Salam sejahtera,",
    "email.intro": (
        "Kami ingin mendengar maklum balas anda. Pilih skor di bawah: ia membuka halaman ringkas."
    ),
    "email.reminder": "Peringatan mesra: tinjauan satu soalan kami masih dibuka.",
    "email.pick": "Pilih skor anda:",
    "email.footer": "Anda menerima e-mel ini kerana anda menggunakan {product}.",
    "email.unsubscribe": "Tidak mahu e-mel ini? Berhenti langganan",
    "page.title": "Maklum balas anda",
    "page.choose": "Skor anda",
    "page.comment": "Apakah sebab utama skor anda? (pilihan)",
    "page.submit": "Hantar jawapan saya",
    "page.hello": "Hai {name}!",
    "page.thanks": "Terima kasih! Jawapan anda: {score}.",
    "page.thanks.comment": "Kami membaca setiap komen.",
    "page.already": "Anda sudah menjawab tinjauan ini: skor anda ialah {score}. Terima kasih!",
    "page.closed": "Tinjauan ini telah ditutup. Terima kasih.",
    "page.unknown": "Pautan ini tidak sah lagi. Terima kasih atas masa anda.",
    "page.unavailable": "Ada masalah di pihak kami: sila cuba lagi dalam seminit.",
    "page.unsubscribe.ask": "Berhenti menerima tinjauan maklum balas melalui e-mel?",
    "page.unsubscribe.button": "Berhenti langganan",
    "page.unsubscribed": "Baik: kami tidak akan menghantar tinjauan maklum balas lagi.",
    "page.fix.score": "Pilih skor dari {low} hingga {high}, kemudian hantar jawapan anda semula.",
    "page.fix.form": "Borang ini telah tamat tempoh: buka semula pautan dalam e-mel anda.",
    "page.fix.comment": "Komen anda terlalu panjang: pastikan kurang daripada {limit} aksara.",
    "page.busy": "Terlalu banyak permintaan sekarang: tunggu seminit, kemudian cuba lagi.",
    "page.advocacy.done": "Terima kasih, itu amat bermakna! Kami akan menghubungi anda.",
    # The brand's subject, and the thank-you page's next step (bot/domain/brand.py).
    "email.subject.reminder.prefix": "Peringatan: {subject}",
    "page.next.review": "Sudikah anda berkongsi pengalaman anda dalam ulasan ringkas?",
    "page.next.review.button": "Tulis ulasan",
    "page.next.case": "Terima kasih kerana memberitahu kami. CSM anda akan menghubungi anda.",
    "page.next.done": "Anda boleh menutup halaman ini sekarang.",
}
