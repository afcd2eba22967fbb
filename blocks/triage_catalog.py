"""The words customers read about triage, in English and Malay (merged into blocks/catalog.py).

A request's state told to the people who asked, the team's note, and the monthly "you said,
we did" line for customers who asked for what shipped.
"""

from __future__ import annotations

EN: dict[str, str] = {
    "triage.told.new": "You asked for *{feature}*: it's back on our list of requests.",
    "triage.told.under review": "You asked for *{feature}*: our product team is reviewing it now.",
    "triage.told.planned": (
        "You asked for *{feature}*: it's planned. We'll tell you when it's live."
    ),
    "triage.told.in progress": "You asked for *{feature}*: we've started building it.",
    "triage.told.shipped": "You asked for *{feature}*: it's live. Thank you for asking!",
    "triage.told.declined": (
        "You asked for *{feature}*. We've decided not to build it for now. Thank you for "
        "telling us: it helps us choose what to build."
    ),
    "triage.told.known issue": (
        "You told us about *{feature}*: it's a known issue and our team is working on it."
    ),
    "triage.note": "From the team: {note}",
    "rollup.customer": (
        "You said, we did: you asked for *{feature}*, and it went live in {month}. "
        "Thank you for telling us!"
    ),
    "error.no_request_id": (
        "There is no request number {number}. `/voc requests` lists them with their numbers."
    ),
}

MS: dict[str, str] = {
    "triage.told.new": "Anda pernah meminta *{feature}*: ia kembali dalam senarai permintaan kami.",
    "triage.told.under review": (
        "Anda pernah meminta *{feature}*: pasukan produk kami sedang menelitinya sekarang."
    ),
    "triage.told.planned": (
        "Anda pernah meminta *{feature}*: ia kini dalam perancangan. "
        "Kami akan memberitahu anda apabila ia tersedia."
    ),
    "triage.told.in progress": "Anda pernah meminta *{feature}*: kami sudah mula membinanya.",
    "triage.told.shipped": (
        "Anda pernah meminta *{feature}*: kini ia sudah tersedia. Terima kasih kerana meminta!"
    ),
    "triage.told.declined": (
        "Anda pernah meminta *{feature}*. Kami memutuskan untuk tidak membinanya buat masa ini. "
        "Terima kasih kerana memberitahu kami: ia membantu kami memilih apa yang hendak dibina."
    ),
    "triage.told.known issue": (
        "Anda pernah memberitahu kami tentang *{feature}*: ia masalah yang diketahui dan "
        "pasukan kami sedang menanganinya."
    ),
    "triage.note": "Daripada pasukan kami: {note}",
    "rollup.customer": (
        "Anda berkata, kami bertindak: anda pernah meminta *{feature}*, dan ia tersedia pada "
        "{month}. Terima kasih kerana memberitahu kami!"
    ),
    "error.no_request_id": (
        "Tiada permintaan bernombor {number}. `/voc requests` menyenaraikannya bersama nombornya."
    ),
}
