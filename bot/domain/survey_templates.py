"""The built-in question sets a team can switch on (`template: NAME` in SURVEYS_FILE, or
the `/voc survey` modal), in English and Malay. `{product}` is PRODUCT_NAME."""

from __future__ import annotations

from typing import Any

TEMPLATES: dict[str, dict[str, Any]] = {
    "ticket_closed": {
        "metric": "csat",
        "questions": [
            {
                "key": "resolved",
                "type": "yes_no",
                "text": {
                    "en": "Was your issue fully resolved?",
                    "ms": "Adakah isu anda diselesaikan sepenuhnya?",
                },
            },
            {
                "key": "do_better",
                "type": "text",
                "text": {
                    "en": "What could we have done better?",
                    "ms": "Apakah yang boleh kami lakukan dengan lebih baik?",
                },
            },
        ],
    },
    "onboarding": {
        "metric": "csat",
        "questions": [
            {
                "key": "helped_most",
                "type": "text",
                "text": {
                    "en": "What helped you most in getting started?",
                    "ms": "Apakah yang paling membantu anda untuk bermula?",
                },
            },
            {
                "key": "most_challenging",
                "type": "text",
                "text": {
                    "en": "What was most challenging?",
                    "ms": "Apakah yang paling mencabar?",
                },
            },
        ],
    },
    "training": {
        "metric": "csat",
        "questions": [
            {
                "key": "confidence",
                "type": "rating",
                "text": {
                    "en": "How confident are you using {product} now?",
                    "ms": "Sejauh manakah anda yakin menggunakan {product} sekarang?",
                },
            },
        ],
    },
    "renewal": {
        "metric": "ces",
        "questions": [
            {
                "key": "renewal_driver",
                "type": "choice",
                "text": {
                    "en": "What matters most in your renewal decision?",
                    "ms": "Apakah yang paling penting dalam keputusan pembaharuan anda?",
                },
                "options": [
                    {"en": "Price", "ms": "Harga"},
                    {"en": "Product features", "ms": "Ciri produk"},
                    {"en": "Support and service", "ms": "Sokongan dan perkhidmatan"},
                    {"en": "Results we get", "ms": "Hasil yang kami peroleh"},
                    {"en": "Ease of use", "ms": "Mudah digunakan"},
                    {"en": "Something else", "ms": "Lain-lain"},
                ],
            },
        ],
    },
    "relationship": {
        "metric": "nps",
        "questions": [
            {
                "key": "csm_satisfaction",
                "type": "rating",
                "text": {
                    "en": "How satisfied are you with your CSM?",
                    "ms": "Sejauh manakah anda berpuas hati dengan CSM anda?",
                },
            },
        ],
    },
}
