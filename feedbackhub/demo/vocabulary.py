"""Word lists and verbatim templates for the demo company and the scale data.

Everything here is plain data: ``builder`` draws from it with a seeded ``random.Random``. Templates are
``str.format`` strings; their ``{slots}`` are filled by ``builder.Slots`` (simple slots pick from
``CHOICE_SLOTS``, the others are computed: numbers, ids, the model of the item's product, the customer's workflow).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from customers.choices import Industry, Language, Lifecycle, Plan, Region, Tier, UseCase
from feedback.choices import Category, Product, ProductArea, Source
from launches.choices import LaunchStatus, LaunchTeam, LaunchType
from themes.choices import ThemeStatus

C, P, A = Category, Product, ProductArea

# --------------------------------------------------------------------------------------------------------------
# Our own people (staff users of the hub)


@dataclass(frozen=True)
class Person:
    """A member of staff of the demo company."""

    username: str
    first_name: str
    last_name: str
    title: str
    role: str  # pm | account_owner | launch_owner | engineer | leadership | marketing | legal
    groups: tuple[str, ...]
    regions: tuple[str, ...] = ()  # account owners: the regions whose accounts they own


GROUP_PRODUCT_OPS = "Product ops"
GROUP_SALES_CS = "Sales / CS"
GROUP_ENGINEERING = "Engineering"
GROUP_LAUNCH_OWNERS = "Launch owners"
GROUP_LEADERSHIP = "Leadership"
GROUPS = (GROUP_PRODUCT_OPS, GROUP_SALES_CS, GROUP_ENGINEERING, GROUP_LAUNCH_OWNERS, GROUP_LEADERSHIP)

# Model permissions of each group: app label → model → actions.
GROUP_PERMISSIONS: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    GROUP_PRODUCT_OPS: {
        "customers": {"customer": ("view", "change"), "usagesnapshot": ("view",)},
        "feedback": {"feedbackitem": ("view", "add", "change", "delete"), "embeddingspace": ("view",)},
        "themes": {"theme": ("view", "add", "change", "delete"), "themeverification": ("view", "add", "change")},
        "launches": {"launch": ("view",), "checklistitem": ("view",)},
    },
    GROUP_SALES_CS: {
        "customers": {"customer": ("view",), "usagesnapshot": ("view",)},
        "feedback": {"feedbackitem": ("view", "add")},
        "themes": {"theme": ("view",)},
        "launches": {"launch": ("view",), "checklistitem": ("view",)},
    },
    GROUP_ENGINEERING: {
        "customers": {"customer": ("view",)},
        "feedback": {"feedbackitem": ("view",)},
        "themes": {"theme": ("view",), "themeverification": ("view",)},
        "launches": {"launch": ("view",), "checklistitem": ("view", "change")},
    },
    GROUP_LAUNCH_OWNERS: {
        "themes": {"theme": ("view",)},
        "launches": {
            "launch": ("view", "add", "change"),
            "checklistitem": ("view", "add", "change"),
            "checklisttemplate": ("view",),
            "checklisttemplateitem": ("view",),
        },
    },
    GROUP_LEADERSHIP: {
        "customers": {"customer": ("view",), "usagesnapshot": ("view",)},
        "feedback": {"feedbackitem": ("view",)},
        "themes": {"theme": ("view",), "themeverification": ("view",)},
        "launches": {"launch": ("view",), "checklistitem": ("view",)},
    },
}

ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "admin"
DEMO_PASSWORD = "demo"  # every other demo user, to try the role-based views
STAFF_EMAIL_DOMAIN = "feedbackhub.example"

PEOPLE: tuple[Person, ...] = (
    Person("camille.laurent", "Camille", "Laurent", "Senior PM, Platform API", "pm", (GROUP_PRODUCT_OPS,)),
    Person("priya.natarajan", "Priya", "Natarajan", "PM, Models", "pm", (GROUP_PRODUCT_OPS,)),
    Person("jonas.weber", "Jonas", "Weber", "PM, Enterprise", "pm", (GROUP_PRODUCT_OPS,)),
    Person("sofia.marchetti", "Sofia", "Marchetti", "PM, Le Chat", "pm", (GROUP_PRODUCT_OPS,)),
    Person(
        "marcus.reed",
        "Marcus",
        "Reed",
        "Account Executive, North America",
        "account_owner",
        (GROUP_SALES_CS,),
        (Region.NORTH_AMERICA,),
    ),
    Person(
        "hannah.schmidt",
        "Hannah",
        "Schmidt",
        "Customer Success Manager, DACH",
        "account_owner",
        (GROUP_SALES_CS,),
        (Region.EUROPE,),
    ),
    Person(
        "lea.dubois",
        "Léa",
        "Dubois",
        "Account Executive, France & Benelux",
        "account_owner",
        (GROUP_SALES_CS,),
        (Region.EUROPE, Region.MIDDLE_EAST),
    ),
    Person(
        "oliver.bennett",
        "Oliver",
        "Bennett",
        "Account Executive, UK & Ireland",
        "account_owner",
        (GROUP_SALES_CS,),
        (Region.UK,),
    ),
    Person(
        "kenji.watanabe",
        "Kenji",
        "Watanabe",
        "Customer Success Manager, APAC",
        "account_owner",
        (GROUP_SALES_CS,),
        (Region.APAC,),
    ),
    Person(
        "valentina.ortiz",
        "Valentina",
        "Ortiz",
        "Account Executive, LATAM",
        "account_owner",
        (GROUP_SALES_CS,),
        (Region.LATAM, Region.NORTH_AMERICA),
    ),
    Person(
        "thomas.moreau",
        "Thomas",
        "Moreau",
        "Engineering Manager, Platform",
        "launch_owner",
        (GROUP_LAUNCH_OWNERS, GROUP_ENGINEERING),
    ),
    Person(
        "aisha.rahman",
        "Aisha",
        "Rahman",
        "ML Lead, Model Releases",
        "launch_owner",
        (GROUP_LAUNCH_OWNERS, GROUP_ENGINEERING),
    ),
    Person("daniel.kim", "Daniel", "Kim", "Product Lead, Launches", "launch_owner", (GROUP_LAUNCH_OWNERS,)),
    Person("rafael.costa", "Rafael", "Costa", "Staff Engineer, Inference", "engineer", (GROUP_ENGINEERING,)),
    Person("nina.petrova", "Nina", "Petrova", "Product Marketing Manager", "marketing", (GROUP_LAUNCH_OWNERS,)),
    Person("julien.lefevre", "Julien", "Lefèvre", "Legal Counsel, Product", "legal", (GROUP_LAUNCH_OWNERS,)),
    Person("elodie.martin", "Élodie", "Martin", "VP Product", "leadership", (GROUP_LEADERSHIP, GROUP_PRODUCT_OPS)),
)

# --------------------------------------------------------------------------------------------------------------
# Customers

# Segment weights: every value gets a weight, so every value shows up.
INDUSTRY_WEIGHTS = {
    Industry.FINANCIAL_SERVICES: 22,
    Industry.HEALTHCARE: 15,
    Industry.TECHNOLOGY: 28,
    Industry.MANUFACTURING: 13,
    Industry.RETAIL: 12,
    Industry.GOVERNMENT: 10,
}
REGION_WEIGHTS = {
    Region.NORTH_AMERICA: 33,
    Region.EUROPE: 31,
    Region.UK: 10,
    Region.APAC: 13,
    Region.LATAM: 7,
    Region.MIDDLE_EAST: 6,
}
LANGUAGE_WEIGHTS_BY_REGION = {
    Region.NORTH_AMERICA: {Language.ENGLISH: 84, Language.SPANISH: 9, Language.FRENCH: 7},
    Region.EUROPE: {Language.FRENCH: 38, Language.GERMAN: 36, Language.ENGLISH: 16, Language.SPANISH: 10},
    Region.UK: {Language.ENGLISH: 100},
    Region.APAC: {Language.JAPANESE: 40, Language.MANDARIN: 32, Language.ENGLISH: 28},
    Region.LATAM: {Language.SPANISH: 80, Language.ENGLISH: 20},
    Region.MIDDLE_EAST: {Language.ENGLISH: 75, Language.FRENCH: 25},
}
TIER_WEIGHTS = {Tier.ENTERPRISE: 34, Tier.STRATEGIC_PARTNER: 8, Tier.MID_MARKET: 33, Tier.STARTUP: 25}
# ARR band of each tier in USD (min, max); the draw is log-uniform so most accounts sit at the low end.
TIER_ARR_BANDS = {
    Tier.ENTERPRISE: (100_000, 2_000_000),
    Tier.STRATEGIC_PARTNER: (500_000, 5_000_000),
    Tier.MID_MARKET: (20_000, 100_000),
    Tier.STARTUP: (1_000, 20_000),
}
PLAN_WEIGHTS_BY_TIER = {
    Tier.ENTERPRISE: {Plan.ENTERPRISE: 100},
    Tier.STRATEGIC_PARTNER: {Plan.ENTERPRISE: 100},
    Tier.MID_MARKET: {Plan.PRO: 55, Plan.ENTERPRISE: 45},
    Tier.STARTUP: {Plan.FREE: 35, Plan.PRO: 65},
}
LIFECYCLE_WEIGHTS = {
    Lifecycle.PROSPECT: 7,
    Lifecycle.ONBOARDING: 10,
    Lifecycle.ACTIVE: 46,
    Lifecycle.AT_RISK: 11,
    Lifecycle.CHURNED: 8,
    Lifecycle.EXPANSION: 18,
}
# Health score range of each lifecycle stage (prospects have none).
HEALTH_BY_LIFECYCLE = {
    Lifecycle.ONBOARDING: (55, 85),
    Lifecycle.ACTIVE: (58, 96),
    Lifecycle.AT_RISK: (12, 45),
    Lifecycle.CHURNED: (0, 25),
    Lifecycle.EXPANSION: (75, 100),
}
USE_CASE_WEIGHTS_BY_INDUSTRY = {
    Industry.FINANCIAL_SERVICES: {
        UseCase.DOCUMENT_ANALYSIS: 30,
        UseCase.DATA_EXTRACTION: 25,
        UseCase.CUSTOMER_SUPPORT: 15,
        UseCase.RESEARCH: 12,
        UseCase.INTERNAL_TOOLS: 12,
        UseCase.CODE_GENERATION: 6,
    },
    Industry.HEALTHCARE: {
        UseCase.DOCUMENT_ANALYSIS: 28,
        UseCase.RESEARCH: 25,
        UseCase.DATA_EXTRACTION: 20,
        UseCase.CUSTOMER_SUPPORT: 15,
        UseCase.INTERNAL_TOOLS: 8,
        UseCase.CODE_GENERATION: 4,
    },
    Industry.TECHNOLOGY: {
        UseCase.CODE_GENERATION: 40,
        UseCase.CUSTOMER_SUPPORT: 20,
        UseCase.INTERNAL_TOOLS: 15,
        UseCase.DATA_EXTRACTION: 10,
        UseCase.DOCUMENT_ANALYSIS: 8,
        UseCase.RESEARCH: 7,
    },
    Industry.MANUFACTURING: {
        UseCase.DOCUMENT_ANALYSIS: 25,
        UseCase.INTERNAL_TOOLS: 25,
        UseCase.DATA_EXTRACTION: 20,
        UseCase.CODE_GENERATION: 12,
        UseCase.RESEARCH: 10,
        UseCase.CUSTOMER_SUPPORT: 8,
    },
    Industry.RETAIL: {
        UseCase.CUSTOMER_SUPPORT: 40,
        UseCase.DATA_EXTRACTION: 18,
        UseCase.INTERNAL_TOOLS: 17,
        UseCase.DOCUMENT_ANALYSIS: 10,
        UseCase.CODE_GENERATION: 8,
        UseCase.RESEARCH: 7,
    },
    Industry.GOVERNMENT: {
        UseCase.DOCUMENT_ANALYSIS: 35,
        UseCase.CUSTOMER_SUPPORT: 20,
        UseCase.INTERNAL_TOOLS: 20,
        UseCase.RESEARCH: 12,
        UseCase.DATA_EXTRACTION: 10,
        UseCase.CODE_GENERATION: 3,
    },
}

NAME_ROOTS_BY_REGION = {
    Region.NORTH_AMERICA: (
        "Summit",
        "Redwood",
        "Granite Peak",
        "Lakeshore",
        "Bluepoint",
        "Cascade",
        "Ironbridge",
        "Pinecrest",
        "Harborview",
        "Silverline",
        "Keystone",
        "Northgate",
        "Prairie",
        "Beaconfield",
        "Evergreen",
        "Copperfield",
        "Stonegate",
        "Brightwater",
        "Frontier",
        "Mesa Verde",
        "Driftwood",
        "Tallgrass",
    ),
    Region.EUROPE: (
        "Lumière",
        "Nordwind",
        "Aurelia",
        "Rheinhafen",
        "Valmont",
        "Belvédère",
        "Alpenglanz",
        "Oriel",
        "Marceau",
        "Grünfeld",
        "Castellan",
        "Vauban",
        "Elbtal",
        "Montclair",
        "Brisa",
        "Lindqvist",
        "Héliade",
        "Kestrel",
        "Sankt Anna",
        "Ostwind",
        "Calanques",
        "Doria",
    ),
    Region.UK: (
        "Thames",
        "Pennine",
        "Albion",
        "Kingsgate",
        "Whitcombe",
        "Ashdown",
        "Cotswold",
        "Greyfriars",
        "Holloway",
        "Brackenridge",
        "Mersey",
        "Castlefield",
    ),
    Region.APAC: (
        "Sakura",
        "Kaito",
        "Lotus",
        "Jade Harbour",
        "Tanjong",
        "Harbourstone",
        "Meridian",
        "Hoshi",
        "Lianhua",
        "Orchid",
        "Sora",
        "Koru",
        "Pacifica",
        "Banyan",
    ),
    Region.LATAM: ("Andes", "Ceiba", "Pampa", "Río Claro", "Quetzal", "Alameda", "Cóndor", "Mirador", "Vértice"),
    Region.MIDDLE_EAST: ("Oasis", "Al Noor", "Sahra", "Zayna", "Qamar", "Falconcrest", "Wadi", "Najm", "Corniche"),
}
NAME_SUFFIXES_BY_INDUSTRY = {
    Industry.FINANCIAL_SERVICES: (
        "Capital",
        "Bank",
        "Assurance",
        "Securities",
        "Asset Management",
        "Payments",
        "Insurance",
        "Wealth",
    ),
    Industry.HEALTHCARE: (
        "Health",
        "Medical",
        "Clinics",
        "Pharma",
        "Biosciences",
        "Diagnostics",
        "Care Group",
        "Therapeutics",
    ),
    Industry.TECHNOLOGY: ("Labs", "Systems", "Software", "Cloud", "Data", "Technologies", "AI", "Networks"),
    Industry.MANUFACTURING: (
        "Industries",
        "Manufacturing",
        "Motors",
        "Aerospace",
        "Materials",
        "Robotics",
        "Engineering",
        "Steelworks",
    ),
    Industry.RETAIL: ("Retail", "Stores", "Market", "Commerce", "Brands", "Fashion", "Outfitters", "Grocers"),
    Industry.GOVERNMENT: (
        "City Council",
        "Regional Authority",
        "Transport Authority",
        "Tax Office",
        "Health Agency",
        "Digital Agency",
        "Water Board",
        "Public Services",
    ),
}
LEGAL_SUFFIXES_BY_REGION = {
    Region.NORTH_AMERICA: ("Inc.", "LLC", "Corp."),
    Region.EUROPE: ("SA", "SAS", "GmbH", "AG", "BV", "SpA"),
    Region.UK: ("Ltd", "PLC"),
    Region.APAC: ("K.K.", "Pte Ltd", "Co., Ltd."),
    Region.LATAM: ("S.A.", "Ltda."),
    Region.MIDDLE_EAST: ("LLC", "FZ-LLC"),
}
CUSTOMER_DOMAIN_SUFFIX = ".example"  # reserved TLD: demo addresses can never reach a real company

FIRST_NAMES_BY_LANGUAGE = {
    Language.ENGLISH: (
        "James",
        "Emily",
        "Michael",
        "Sarah",
        "David",
        "Jessica",
        "Chris",
        "Ashley",
        "Ryan",
        "Megan",
        "Daniel",
        "Laura",
        "Kevin",
        "Rachel",
        "Brian",
        "Olivia",
        "Aaron",
        "Grace",
    ),
    Language.FRENCH: (
        "Camille",
        "Julien",
        "Manon",
        "Thomas",
        "Chloé",
        "Nicolas",
        "Pauline",
        "Antoine",
        "Sarah",
        "Maxime",
        "Claire",
        "Hugo",
        "Inès",
        "Mathieu",
    ),
    Language.GERMAN: (
        "Lukas",
        "Anna",
        "Felix",
        "Lena",
        "Jonas",
        "Sophie",
        "Maximilian",
        "Laura",
        "Tobias",
        "Katharina",
        "Niklas",
        "Julia",
        "Jan",
        "Miriam",
    ),
    Language.SPANISH: ("Carlos", "Lucía", "Javier", "María", "Diego", "Sofía", "Andrés", "Valeria", "Mateo", "Camila"),
    Language.JAPANESE: ("Haruto", "Yui", "Sota", "Aoi", "Ren", "Hina", "Yuto", "Sakura", "Kenta", "Mei"),
    Language.MANDARIN: ("Wei", "Fang", "Jun", "Li", "Hao", "Mei", "Chen", "Xin", "Yang", "Lei"),
}
LAST_NAMES_BY_LANGUAGE = {
    Language.ENGLISH: (
        "Carter",
        "Nguyen",
        "Patel",
        "Johnson",
        "Brooks",
        "Murphy",
        "Hughes",
        "Foster",
        "Reyes",
        "Coleman",
        "Price",
        "Ward",
        "Bailey",
        "Sullivan",
        "Okafor",
        "Kowalski",
    ),
    Language.FRENCH: (
        "Martin",
        "Bernard",
        "Petit",
        "Durand",
        "Leroy",
        "Moreau",
        "Fournier",
        "Girard",
        "Lambert",
        "Rousseau",
        "Blanc",
        "Garnier",
        "Benali",
        "Faure",
    ),
    Language.GERMAN: (
        "Müller",
        "Schneider",
        "Fischer",
        "Weber",
        "Wagner",
        "Becker",
        "Hoffmann",
        "Schulz",
        "Koch",
        "Richter",
        "Klein",
        "Wolf",
        "Yilmaz",
        "Krüger",
    ),
    Language.SPANISH: (
        "García",
        "Rodríguez",
        "Martínez",
        "López",
        "Hernández",
        "Pérez",
        "Sánchez",
        "Ramírez",
        "Torres",
        "Flores",
    ),
    Language.JAPANESE: (
        "Sato",
        "Suzuki",
        "Takahashi",
        "Tanaka",
        "Ito",
        "Yamamoto",
        "Nakamura",
        "Kobayashi",
        "Kato",
        "Yoshida",
    ),
    Language.MANDARIN: ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou"),
}
GITHUB_HANDLES = (
    "dev-ops-dan",
    "mlnerd42",
    "kbuilder",
    "quantized-q",
    "rustacean-rey",
    "pydata-pia",
    "llm-tinkerer",
    "hf-hobbyist",
    "vllm-fan",
    "ts-tom",
    "sre-sam",
    "backend-bea",
    "gpu-poor-gabe",
    "notebook-nora",
)
GITHUB_REPOS = {
    "client-python": 180,
    "client-ts": 95,
    "mistral-inference": 210,
    "mistral-finetune": 120,
    "mistral-common": 60,
    "cookbook": 140,
}

# Workflows per primary use case, in English, French and German (the customer's own words).
WORKFLOWS_BY_USE_CASE = {
    UseCase.CODE_GENERATION: {
        "en": ("code review bot", "unit-test generation", "legacy COBOL migration", "pull-request summaries"),
        "fr": ("revue de code", "génération de tests unitaires", "migration de code legacy"),
        "de": ("Code-Review", "Testgenerierung", "Migration von Altsystemen"),
    },
    UseCase.CUSTOMER_SUPPORT: {
        "en": ("ticket summarisation", "support chatbot", "reply drafting", "ticket routing"),
        "fr": ("support client", "résumé des tickets", "chatbot de support"),
        "de": ("Kundensupport", "Ticket-Zusammenfassung", "Support-Chatbot"),
    },
    UseCase.DOCUMENT_ANALYSIS: {
        "en": ("contract review", "policy Q&A", "report summarisation", "due-diligence review"),
        "fr": ("analyse de contrats", "analyse documentaire", "synthèse de rapports"),
        "de": ("Vertragsprüfung", "Dokumentenanalyse", "Berichtszusammenfassung"),
    },
    UseCase.DATA_EXTRACTION: {
        "en": ("invoice extraction", "KYC document extraction", "claims triage", "form parsing"),
        "fr": ("extraction de factures", "extraction de données KYC", "traitement des sinistres"),
        "de": ("Rechnungsextraktion", "Datenextraktion", "Schadenbearbeitung"),
    },
    UseCase.INTERNAL_TOOLS: {
        "en": ("internal knowledge assistant", "HR helpdesk bot", "meeting-notes summaries", "sales email drafting"),
        "fr": ("assistant interne", "bot RH", "synthèse de réunions"),
        "de": ("interner Wissensassistent", "HR-Helpdesk-Bot", "Meeting-Protokolle"),
    },
    UseCase.RESEARCH: {
        "en": ("literature review", "patent search", "market research summaries", "clinical study screening"),
        "fr": ("veille scientifique", "recherche de brevets", "veille marché"),
        "de": ("Literaturrecherche", "Patentrecherche", "Marktanalysen"),
    },
}

# Models by product: (display name, API id).
MODELS_BY_PRODUCT = {
    Product.MISTRAL_LARGE: (("Mistral Large", "mistral-large-latest"), ("Mistral Large", "mistral-large-2411")),
    Product.MISTRAL_MEDIUM: (("Mistral Medium", "mistral-medium-latest"), ("Mistral Medium", "mistral-medium-2505")),
    Product.MISTRAL_SMALL: (("Mistral Small", "mistral-small-latest"), ("Mistral Small", "mistral-small-2503")),
    Product.CODESTRAL: (("Codestral", "codestral-latest"), ("Codestral", "codestral-2501")),
    Product.PIXTRAL: (("Pixtral Large", "pixtral-large-latest"), ("Pixtral", "pixtral-12b-2409")),
    Product.EMBED: (("Mistral Embed", "mistral-embed"),),
    Product.LE_CHAT: (("Le Chat", "mistral-large-latest"), ("Le Chat Enterprise", "mistral-medium-latest")),
    Product.API: (
        ("Mistral Large", "mistral-large-latest"),
        ("Mistral Small", "mistral-small-latest"),
        ("Ministral 8B", "ministral-8b-latest"),
    ),
    Product.OPEN_WEIGHT: (("Mistral NeMo", "open-mistral-nemo"), ("Mixtral 8x22B", "open-mixtral-8x22b")),
    Product.BETA: (("Mistral Large", "mistral-large-latest"), ("Codestral", "codestral-latest")),
}

# Slots filled by a plain random choice.
CHOICE_SLOTS: dict[str, tuple[str, ...]] = {
    "error_429": (
        "HTTP 429 Too Many Requests",
        "429 errors ('Requests rate limit exceeded')",
        "429s",
        "rate-limit errors (429)",
    ),
    "error_5xx": ("502 Bad Gateway", "a 500 'internal_error'", "503 Service Unavailable", "a timeout after 60 s"),
    "time_window": (
        "between 14:00 and 17:00 CET",
        "every weekday around 9am ET",
        "during the US morning peak",
        "since Tuesday's incident",
        "on Monday mornings",
        "after last week's deploy on your side",
        "at the end of each month when our batch runs",
    ),
    "p_pct": ("p95", "p99", "p90"),
    "idp": ("Okta", "Microsoft Entra ID", "Ping Identity", "Google Workspace", "OneLogin"),
    "ide": ("VS Code", "IntelliJ IDEA", "PyCharm", "Neovim", "JetBrains Rider"),
    "code_lang": ("Python", "TypeScript", "Java", "Go", "Rust", "Kotlin", "C#", "SQL"),
    "competitor": ("OpenAI", "Anthropic", "Azure OpenAI", "Google Vertex AI", "Cohere", "AWS Bedrock"),
    "competitor_code": ("GitHub Copilot", "Cursor", "Tabnine", "Amazon Q Developer"),
    "cloud": ("AWS", "Azure", "GCP", "OVHcloud", "Scaleway", "our own OpenShift cluster"),
    "gpu": ("A100 80GB", "H100", "L40S", "A10G", "H200"),
    "doc_type": (
        "PDF contracts",
        "scanned invoices",
        "insurance claim forms",
        "lab reports",
        "annual reports",
        "regulatory filings",
        "technical manuals",
        "tender documents",
    ),
    "kb": ("SharePoint", "Google Drive", "Confluence", "Notion"),
    "siem": ("Splunk", "Datadog", "Microsoft Sentinel", "Elastic"),
    "cert": ("SOC 2", "ISO 27001", "HDS", "DORA", "HIPAA"),
    "sdk_pkg": ("mistralai (Python)", "@mistralai/mistralai (TypeScript)", "the Python client", "the TS client"),
    "sdk_ver": ("1.2.0", "1.5.1", "1.7.0", "1.9.2", "2.0.0rc1"),
    "vllm_ver": ("0.6.3", "0.7.2", "0.8.1", "0.9.0"),
    "ow_model": (
        "Mistral 7B",
        "Mixtral 8x7B",
        "Mistral NeMo 12B",
        "Mistral Small 3.1 (24B)",
        "Codestral Mamba",
        "Ministral 8B",
    ),
    "team": (
        "data science team",
        "support automation squad",
        "platform engineering team",
        "legal ops team",
        "quant research desk",
        "claims department",
        "developer productivity team",
        "innovation lab",
    ),
    "lang_doc": ("French", "German", "Japanese", "Spanish", "Arabic", "Mandarin", "Italian", "Dutch"),
    "support_agent": ("Inès", "Mathieu", "Sarah", "Yusuf", "Clara"),
    "meeting": (
        "our QBR",
        "an onsite workshop",
        "the executive business review",
        "a roadmap session",
        "a renewal call",
    ),
    "call_kind": ("QBR call", "Discovery call", "Renewal call", "Weekly sync", "Exec sponsor call", "Onboarding call"),
    "crm_kind": (
        "Account note",
        "Renewal risk note",
        "Opportunity note (expansion)",
        "Closed-lost reason",
        "Next steps after demo",
    ),
    "role": ("Head of AI", "CTO", "ML engineer", "Procurement lead", "VP Engineering", "Data platform lead", "CISO"),
    "feature": ("embeddings", "fine-tuning", "Codestral FIM", "agents", "the Batch API", "function calling"),
    "deadline": (
        "before our Q3 go-live",
        "by the end of the month",
        "before the renewal",
        "before the board review",
        "by year end",
    ),
    "ticket_ref": ("#48213", "#50877", "#51102", "#49630", "#52418"),
    "env": (
        "mistralai==1.5.1, Python 3.12, Ubuntu 22.04",
        "mistralai==1.2.0, Python 3.11, macOS 14",
        "@mistralai/mistralai 1.3.4, Node 20",
        "vLLM 0.8.1, CUDA 12.4, 2x H100",
        "transformers 4.46, torch 2.5",
    ),
    "slack_opener": ("hey team 👋 ", "@mistral-support ", "FYI: ", "Quick one: ", "", "", ""),
}

# Simple slots with a translation (same index as ``CHOICE_SLOTS``' English list is not required).
OPENERS = {
    "en": ("Hi team,", "Hello,", "Hi there,", "Good morning,", "", "", "Following up on our last call:"),
    "fr": ("Bonjour,", "Bonjour l'équipe,", "Salut,", ""),
    "de": ("Hallo zusammen,", "Guten Tag,", "Hallo,", ""),
}
CLOSERS = {
    "en": (
        "Thanks!",
        "Can you advise?",
        "This is blocking our rollout.",
        "Happy to jump on a call.",
        "Any ETA?",
        "Best, {person}",
        "Thanks in advance, {person}",
        "",
        "",
    ),
    "fr": ("Merci d'avance.", "Cordialement, {person}", "C'est bloquant pour nous.", "Merci !", ""),
    "de": ("Danke und viele Grüße, {person}", "Das blockiert uns aktuell.", "Vielen Dank!", "Beste Grüße", ""),
}

# --------------------------------------------------------------------------------------------------------------
# Feedback topics and their verbatims


@dataclass(frozen=True)
class Body:
    """What the customer says (a template) and the one-line summary triage writes for it."""

    category: str
    text: str
    summary: str
    sentiment: tuple[float, float] | None = None  # overrides the category's range
    product: str | None = None  # overrides the topic's product mix
    area: str | None = None  # overrides the topic's product areas


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: each topic is one object
class Topic:
    """A subject customers raise again and again; themed topics back one demo theme each."""

    key: str
    weight: float
    products: dict[str, int]
    areas: dict[str, int]
    tags: tuple[str, ...]
    bodies: tuple[Body, ...]
    fr: tuple[Body, ...] = ()
    de: tuple[Body, ...] = ()
    source_bias: tuple[tuple[str, float], ...] = ()  # (source, probability) that overrides the category's sources
    exclude_sources: frozenset[str] = frozenset()  # channels this topic never comes through
    affinity: dict[str, dict[str, float]] = field(default_factory=dict)  # account field → value → weight multiplier


NOT_ON_GITHUB = frozenset({Source.GITHUB})  # commercial topics: nobody files them as open-source issues


TOPICS: tuple[Topic, ...] = (
    Topic(
        key="rate_limits",
        affinity={"use_case": {UseCase.DATA_EXTRACTION: 2, UseCase.CUSTOMER_SUPPORT: 1.5}},
        weight=12,
        products={P.API: 5, P.MISTRAL_LARGE: 2, P.MISTRAL_SMALL: 2, P.EMBED: 1},
        areas={A.API: 1},
        tags=("rate-limit", "429", "api", "throughput"),
        bodies=(
            Body(
                C.BUG,
                "We keep getting {error_429} on {model_id} even though we're well under the {rpm} requests/minute "
                "of our tier. Example request id: {request_id}.",
                "429s on {model_id} below the documented RPM limit",
            ),
            Body(
                C.PAIN_POINT,
                "Our {workflow} pipeline fires ~{big_n} requests overnight and roughly {pct}% of them come back with "
                "429. We added exponential backoff, but the job now takes {hours} hours instead of {hours_small}.",
                "{pct}% of overnight {workflow} requests rate-limited",
            ),
            Body(
                C.FEATURE_REQUEST,
                "Could you expose the remaining quota in response headers (x-ratelimit-remaining, reset time) so we "
                "can throttle client-side instead of guessing?",
                "Expose remaining rate-limit quota in response headers",
            ),
            Body(
                C.FEATURE_REQUEST,
                "We need a higher tokens-per-minute limit on {model} — {tpm} TPM isn't enough for {workflow} across "
                "{n} teams. We're happy to commit to a higher spend tier.",
                "Higher TPM limit on {model} for {workflow}",
            ),
            Body(
                C.COMPLAINT,
                "Third time this month our production traffic got throttled without warning. The limits changed on "
                "your side and nobody told us.",
                "Unannounced rate-limit changes throttled production",
            ),
            Body(
                C.QUESTION,
                "What are the actual rate limits for {model_id} on our plan? The docs page and the console show "
                "different numbers.",
                "Conflicting rate-limit numbers in docs vs console",
            ),
            Body(
                C.CHURN_SIGNAL,
                "If we can't get reliable throughput {deadline}, leadership wants to move the {workflow} workload to "
                "{competitor}.",
                "Considering {competitor} because of throughput limits",
            ),
        ),
        fr=(
            Body(
                C.BUG,
                "On reçoit des erreurs 429 sur {model_id} alors qu'on est bien en dessous de notre quota. Ça bloque "
                "toute notre chaîne de traitement ({workflow}).",
                "429s on {model_id} below quota (FR)",
            ),
            Body(
                C.FEATURE_REQUEST,
                "Est-il possible d'augmenter la limite de requêtes par minute pour notre organisation ? Nous lançons "
                "des traitements par lots de {big_n} requêtes la nuit.",
                "Higher RPM limit for nightly batch jobs",
            ),
        ),
        de=(
            Body(
                C.BUG,
                "Wir bekommen ständig 429-Fehler auf {model_id}, obwohl wir deutlich unter dem Limit liegen. Das "
                "blockiert unsere Pipeline ({workflow}).",
                "429s on {model_id} below the limit (DE)",
            ),
            Body(
                C.FEATURE_REQUEST,
                "Könnt ihr das Rate-Limit für unsere Organisation erhöhen? Wir verarbeiten nachts Batches mit rund "
                "{big_n} Anfragen.",
                "Higher rate limit for nightly batches",
            ),
        ),
    ),
    Topic(
        key="latency",
        affinity={
            "use_case": {UseCase.CUSTOMER_SUPPORT: 2.5, UseCase.CODE_GENERATION: 1.5},
            "industry": {Industry.FINANCIAL_SERVICES: 1.5},
        },
        weight=11,
        products={P.MISTRAL_LARGE: 5, P.MISTRAL_MEDIUM: 3, P.API: 2, P.LE_CHAT: 1},
        areas={A.INFERENCE: 4, A.API: 1},
        tags=("latency", "performance", "streaming", "ttft"),
        bodies=(
            Body(
                C.BUG,
                "Time to first token on {model_id} jumped from ~{ms_small} ms to {ms} ms {time_window}. Nothing "
                "changed on our side.",
                "TTFT on {model_id} up to {ms} ms {time_window}",
            ),
            Body(
                C.PAIN_POINT,
                "{p_pct} latency on {model} is around {secs} s {time_window}, which is too slow for {workflow} where "
                "our agents wait on the answer.",
                "{p_pct} latency ~{secs}s hurts {workflow}",
            ),
            Body(
                C.COMPLAINT,
                "Streaming responses stall for several seconds mid-answer and our users think the app froze. This "
                "has been going on for {weeks} weeks.",
                "Streaming stalls mid-answer for {weeks} weeks",
            ),
            Body(
                C.IMPROVEMENT,
                "Average latency is fine but the variance kills us. A p99 latency commitment for enterprise "
                "customers would help us sign off internally.",
                "Ask for a p99 latency commitment",
            ),
            Body(
                C.FEATURE_REQUEST,
                "Could we get dedicated capacity / provisioned throughput for {model} so peak-hour latency is "
                "predictable?",
                "Provisioned throughput for {model}",
            ),
            Body(
                C.PRAISE,
                "The latency improvements on {model} last month are very noticeable — our {workflow} flow feels "
                "instant now. Great work.",
                "Praise for faster {model}",
            ),
            Body(
                C.CHURN_SIGNAL,
                "We benchmarked {competitor} against {model} last week: similar quality but {pct}% lower latency. "
                "Procurement is asking why we would renew.",
                "{competitor} beats {model} on latency in benchmark",
            ),
        ),
        fr=(
            Body(
                C.PAIN_POINT,
                "Les temps de réponse de {model} dépassent {secs} s {time_window}. Pour notre cas d'usage "
                "({workflow}), c'est beaucoup trop lent.",
                "{model} latency over {secs}s (FR)",
            ),
            Body(
                C.PRAISE,
                "Bravo pour les gains de latence sur {model}, notre équipe l'a tout de suite remarqué.",
                "Praise for {model} latency gains",
            ),
        ),
        de=(
            Body(
                C.PAIN_POINT,
                "Die Antwortzeiten von {model} liegen {time_window} bei über {secs} s. Für unseren Anwendungsfall "
                "({workflow}) ist das zu langsam.",
                "{model} latency over {secs}s (DE)",
            ),
            Body(
                C.COMPLAINT,
                "Beim Streaming bleiben die Antworten immer wieder mehrere Sekunden hängen. Unsere Nutzer denken, "
                "die Anwendung sei abgestürzt.",
                "Streaming stalls (DE)",
            ),
        ),
    ),
    Topic(
        key="sso",
        affinity={"tier": {Tier.ENTERPRISE: 3, Tier.STRATEGIC_PARTNER: 3, Tier.STARTUP: 0.2}},
        exclude_sources=NOT_ON_GITHUB,
        weight=6,
        products={P.LE_CHAT: 5, P.API: 1},
        areas={A.AUTH: 1},
        tags=("sso", "saml", "scim", "enterprise"),
        bodies=(
            Body(
                C.FEATURE_REQUEST,
                "We need SAML SSO with {idp} before we can roll Le Chat out to {seats} employees. Security won't "
                "approve password logins.",
                "SAML SSO with {idp} required for {seats}-seat rollout",
            ),
            Body(
                C.FEATURE_REQUEST,
                "Please support SCIM provisioning — our IT team offboards people in {idp} and they still have "
                "access to Le Chat afterwards.",
                "SCIM deprovisioning from {idp}",
            ),
            Body(
                C.BUG,
                "SSO login loops back to the sign-in page for users whose {idp} email differs in case from the "
                "invited address.",
                "SSO login loop for mixed-case emails",
            ),
            Body(
                C.QUESTION,
                "Does the SSO integration support enforcing SSO-only login and just-in-time provisioning?",
                "SSO-only enforcement and JIT provisioning?",
            ),
            Body(
                C.PRAISE,
                "SSO setup with {idp} took us fifteen minutes. Great docs, thank you!",
                "Smooth SSO setup with {idp}",
            ),
            Body(
                C.PAIN_POINT,
                "Managing {seats} seats by hand in the admin console is painful; we need group-to-role mapping from "
                "{idp}.",
                "Manual seat management; wants group role mapping",
            ),
        ),
        fr=(
            Body(
                C.FEATURE_REQUEST,
                "Nous avons besoin du SSO SAML avec {idp} avant de déployer Le Chat auprès de {seats} collaborateurs.",
                "SAML SSO with {idp} before rollout (FR)",
            ),
        ),
        de=(
            Body(
                C.FEATURE_REQUEST,
                "Ohne SAML-SSO über {idp} gibt unsere IT-Sicherheit Le Chat nicht für {seats} Mitarbeitende frei.",
                "SAML SSO with {idp} required (DE)",
            ),
        ),
    ),
    Topic(
        key="gdpr_residency",
        affinity={"region": {Region.EUROPE: 6, Region.UK: 2}},
        exclude_sources=NOT_ON_GITHUB,
        weight=7,
        products={P.API: 4, P.LE_CHAT: 3, P.MISTRAL_LARGE: 1},
        areas={A.INFERENCE: 2, A.API: 1},
        tags=("gdpr", "data-residency", "compliance", "dpa"),
        bodies=(
            Body(
                C.FEATURE_REQUEST,
                "Our DPO requires that prompts and outputs stay in the EU and are never used for training. Can you "
                "contractually guarantee EU-only processing?",
                "Contractual EU-only processing and no training on data",
            ),
            Body(
                C.QUESTION,
                "Where exactly are requests to {model_id} processed, and who are the sub-processors? We need this "
                "for our DPIA.",
                "Sub-processor list needed for DPIA",
            ),
            Body(
                C.PAIN_POINT,
                "Legal review of the DPA has been stuck for {weeks} weeks because the data-retention clause is "
                "vague (30 days? zero?).",
                "Vague DPA retention clause stalls legal review",
            ),
            Body(
                C.PRAISE,
                "Keeping the data in EU datacenters was the deciding factor over {competitor} for us.",
                "EU hosting decisive over {competitor}",
            ),
            Body(
                C.CHURN_SIGNAL,
                "Without a signed DPA with zero data retention we can't move to production, and the pilot ends "
                "{deadline}.",
                "Pilot blocked on a zero-retention DPA",
            ),
        ),
        fr=(
            Body(
                C.FEATURE_REQUEST,
                "Notre DPO exige que les données restent en Europe et ne servent jamais à l'entraînement. Pouvez-vous "
                "le garantir contractuellement ?",
                "EU-only processing guarantee (FR)",
            ),
            Body(
                C.QUESTION,
                "Pouvez-vous nous envoyer la liste des sous-traitants et la durée de conservation des données ? "
                "C'est nécessaire pour notre AIPD.",
                "Sub-processors and retention for DPIA (FR)",
            ),
        ),
        de=(
            Body(
                C.FEATURE_REQUEST,
                "Unser Datenschutzbeauftragter verlangt, dass alle Daten in der EU verarbeitet werden. Gibt es eine "
                "vertragliche Zusicherung und einen AVV?",
                "EU processing guarantee and DPA (DE)",
            ),
            Body(
                C.CHURN_SIGNAL,
                "Ohne AVV mit Zero Data Retention dürfen wir nicht in Produktion gehen. Der Pilot endet {deadline}.",
                "Pilot blocked on zero-retention DPA (DE)",
            ),
        ),
    ),
    Topic(
        key="on_prem",
        affinity={"industry": {Industry.GOVERNMENT: 5, Industry.FINANCIAL_SERVICES: 3, Industry.HEALTHCARE: 2}},
        weight=6,
        products={P.OPEN_WEIGHT: 3, P.MISTRAL_LARGE: 3, P.CODESTRAL: 1},
        areas={A.INFERENCE: 1},
        tags=("on-prem", "vpc", "self-hosted", "air-gapped"),
        bodies=(
            Body(
                C.FEATURE_REQUEST,
                "We can't send data to any external API. We need {model} deployable in our own VPC on {cloud}.",
                "{model} deployment in own VPC on {cloud}",
            ),
            Body(
                C.QUESTION,
                "What GPU footprint do we need to self-host {model} for ~{rps} requests/second? We have {gpu} nodes "
                "available.",
                "GPU sizing for self-hosting {model}",
            ),
            Body(
                C.PAIN_POINT,
                "The on-prem deployment guide assumes Kubernetes with internet access; our air-gapped cluster can't "
                "pull the images.",
                "Air-gapped install not covered",
            ),
            Body(
                C.BUG,
                "The self-hosted container crashes with CUDA OOM on {gpu} when the context exceeds {ctx}k tokens.",
                "Self-hosted container OOM on {gpu} above {ctx}k tokens",
            ),
            Body(
                C.CHURN_SIGNAL,
                "Our security team vetoed the SaaS option. Unless there's an on-prem licence {deadline}, the deal is "
                "off.",
                "Deal depends on an on-prem licence",
            ),
        ),
        fr=(
            Body(
                C.FEATURE_REQUEST,
                "Pour des raisons de souveraineté, nous devons héberger {model} dans notre propre cloud ({cloud}). "
                "Quelles sont les options ?",
                "Self-hosting {model} on {cloud} (FR)",
            ),
        ),
        de=(
            Body(
                C.FEATURE_REQUEST,
                "Wir dürfen keine Daten an externe APIs senden. Können wir {model} in unserer eigenen VPC auf "
                "{cloud} betreiben?",
                "{model} in own VPC on {cloud} (DE)",
            ),
        ),
    ),
    Topic(
        key="fine_tuning",
        affinity={
            "use_case": {UseCase.RESEARCH: 2, UseCase.DATA_EXTRACTION: 2},
            "industry": {Industry.TECHNOLOGY: 1.5},
        },
        weight=8,
        products={P.MISTRAL_SMALL: 3, P.MISTRAL_LARGE: 1, P.CODESTRAL: 1, P.API: 2, P.OPEN_WEIGHT: 1},
        areas={A.FINE_TUNING: 1},
        tags=("fine-tuning", "training", "jobs"),
        bodies=(
            Body(
                C.BUG,
                "Fine-tuning job {job_id} has been stuck at {pct_high}% for {hours} hours. The status still says "
                "RUNNING.",
                "Fine-tuning job stuck at {pct_high}%",
            ),
            Body(
                C.BUG,
                "Job {job_id} failed with 'validation error' but nothing says which line of the JSONL is wrong.",
                "Fine-tuning validation error without line detail",
            ),
            Body(
                C.PAIN_POINT,
                "Every time a fine-tuning job fails we lose the whole run and the credits. Checkpoints and resume "
                "would save us a lot.",
                "No resume from checkpoint after failed job",
            ),
            Body(
                C.FEATURE_REQUEST,
                "Please add evaluation metrics per epoch in the console so we can stop bad runs early.",
                "Per-epoch eval metrics in console",
            ),
            Body(
                C.QUESTION,
                "What's the maximum dataset size for fine-tuning {model_id}? Our {workflow} dataset has {big_n} "
                "examples.",
                "Max fine-tuning dataset size for {model_id}",
            ),
            Body(
                C.PRAISE,
                "We fine-tuned {model} on our {workflow} data and accuracy went from {pct}% to {pct_high}%. "
                "Impressive.",
                "Fine-tuning lifted {workflow} accuracy",
            ),
        ),
        fr=(
            Body(
                C.BUG,
                "Notre job de fine-tuning {job_id} est bloqué à {pct_high} % depuis {hours} heures, toujours en "
                "statut RUNNING.",
                "Fine-tuning job stuck (FR)",
            ),
        ),
        de=(
            Body(
                C.BUG,
                "Der Fine-Tuning-Job {job_id} hängt seit {hours} Stunden bei {pct_high} %. Der Status steht immer "
                "noch auf RUNNING.",
                "Fine-tuning job stuck (DE)",
            ),
        ),
    ),
    Topic(
        key="codestral_ide",
        affinity={"use_case": {UseCase.CODE_GENERATION: 8}, "industry": {Industry.TECHNOLOGY: 2}},
        weight=8,
        products={P.CODESTRAL: 6, P.BETA: 1},
        areas={A.INFERENCE: 2, A.API: 1},
        tags=("codestral", "ide", "code-completion", "fim"),
        bodies=(
            Body(
                C.BUG,
                "Codestral completions in {ide} stop working after the laptop wakes from sleep; we have to restart "
                "the IDE.",
                "{ide} plugin stops after sleep",
            ),
            Body(
                C.FEATURE_REQUEST,
                "Our developers live in {ide}. A first-class Codestral plugin there would get us to {seats} seats.",
                "First-class Codestral plugin for {ide}",
            ),
            Body(
                C.PAIN_POINT,
                "Fill-in-the-middle suggestions in {code_lang} often ignore the rest of the file, e.g. they "
                "re-declare imports that are already there.",
                "FIM ignores file context in {code_lang}",
            ),
            Body(
                C.PRAISE,
                "Codestral's {code_lang} suggestions are genuinely better than what we had with {competitor_code}. "
                "The team loves it.",
                "Codestral {code_lang} quality beats {competitor_code}",
            ),
            Body(
                C.IMPROVEMENT,
                "Completions are good, but the ~{ms_small} ms delay in {ide} feels sluggish next to local "
                "autocomplete.",
                "Codestral completion delay in {ide}",
            ),
            Body(
                C.QUESTION,
                "Can Codestral use our internal repositories as context without the code leaving our VPC?",
                "Repo context without code leaving the VPC?",
            ),
        ),
        fr=(
            Body(
                C.FEATURE_REQUEST,
                "Nos développeurs utilisent {ide} au quotidien : un plugin Codestral officiel nous permettrait de "
                "passer à {seats} licences.",
                "Codestral plugin for {ide} (FR)",
            ),
        ),
        de=(
            Body(
                C.PAIN_POINT,
                "Die Vorschläge von Codestral in {code_lang} ignorieren oft den Rest der Datei, z. B. werden Imports "
                "doppelt angelegt.",
                "FIM ignores file context (DE)",
            ),
        ),
    ),
    Topic(
        key="billing",
        affinity={"tier": {Tier.ENTERPRISE: 2, Tier.STRATEGIC_PARTNER: 2}},
        exclude_sources=NOT_ON_GITHUB,
        weight=7,
        products={P.API: 5, P.LE_CHAT: 2},
        areas={A.BILLING: 4, A.DASHBOARD: 2},
        tags=("billing", "invoices", "cost", "chargeback"),
        bodies=(
            Body(
                C.PAIN_POINT,
                "Our finance team can't split the monthly invoice by department. Everything lands on one line item "
                "of {amount}.",
                "Invoice can't be split by department",
            ),
            Body(
                C.FEATURE_REQUEST,
                "Please add cost per API key / project in the usage dashboard so we can charge back internal teams.",
                "Cost per API key/project for chargeback",
            ),
            Body(
                C.BUG,
                "The usage dashboard shows {big_n} tokens for yesterday but the invoice line says almost double.",
                "Dashboard token count doesn't match invoice",
                area=A.DASHBOARD,
            ),
            Body(
                C.QUESTION,
                "Can we pay by invoice (net 60) instead of card? Our procurement doesn't allow card payments over "
                "{amount}.",
                "Invoice payment terms instead of card",
            ),
            Body(
                C.COMPLAINT,
                "We were charged {amount} for a month where we barely used the API, and support hasn't answered in "
                "{days} days.",
                "Unexpected {amount} charge, no support reply",
            ),
        ),
        fr=(
            Body(
                C.PAIN_POINT,
                "Notre service financier ne peut pas répartir la facture mensuelle par département : tout est sur "
                "une seule ligne de {amount}.",
                "Invoice can't be split by department (FR)",
            ),
        ),
        de=(
            Body(
                C.FEATURE_REQUEST,
                "Wir bräuchten die Kosten pro API-Key bzw. Projekt im Dashboard, um intern weiterverrechnen zu können.",
                "Cost per API key for chargeback (DE)",
            ),
        ),
    ),
    Topic(
        key="multilingual_embeddings",
        affinity={
            "language": {
                Language.FRENCH: 3,
                Language.GERMAN: 3,
                Language.JAPANESE: 3,
                Language.MANDARIN: 3,
                Language.SPANISH: 2,
            }
        },
        weight=5,
        products={P.EMBED: 1},
        areas={A.EMBEDDINGS: 1},
        tags=("embeddings", "rag", "multilingual", "retrieval"),
        bodies=(
            Body(
                C.PAIN_POINT,
                "Retrieval with mistral-embed works well in English but recall drops a lot on our {lang_doc} "
                "documents.",
                "Embed recall drops on {lang_doc} documents",
            ),
            Body(
                C.FEATURE_REQUEST,
                "We'd like a reranker endpoint or larger embedding dimensions to improve RAG precision on {doc_type}.",
                "Reranker or larger dims for RAG on {doc_type}",
            ),
            Body(
                C.BUG,
                "Embedding requests with more than {batch_inputs} inputs sometimes return fewer vectors than inputs.",
                "Embeddings batch returns fewer vectors than inputs",
            ),
            Body(
                C.QUESTION,
                "Was mistral-embed trained on {lang_doc}? Our knowledge base mixes {lang_doc} and English.",
                "Is mistral-embed trained on {lang_doc}?",
            ),
            Body(
                C.PRAISE,
                "We switched our RAG stack to mistral-embed: retrieval quality on {doc_type} is on par and it costs "
                "half as much.",
                "mistral-embed matches quality at half the cost",
            ),
        ),
        fr=(
            Body(
                C.PAIN_POINT,
                "La recherche sémantique avec mistral-embed marche bien en anglais, mais le rappel chute sur nos "
                "documents en français.",
                "Embed recall drops on French documents",
            ),
        ),
        de=(
            Body(
                C.PAIN_POINT,
                "Mit mistral-embed ist die Trefferquote bei deutschen Dokumenten deutlich schlechter als bei "
                "englischen.",
                "Embed recall drops on German documents",
            ),
        ),
    ),
    Topic(
        key="function_calling",
        affinity={"use_case": {UseCase.DATA_EXTRACTION: 2, UseCase.INTERNAL_TOOLS: 2, UseCase.CUSTOMER_SUPPORT: 1.5}},
        weight=8,
        products={P.MISTRAL_LARGE: 3, P.MISTRAL_SMALL: 3, P.API: 2},
        areas={A.API: 3, A.INFERENCE: 1},
        tags=("function-calling", "json-mode", "agents", "structured-output"),
        bodies=(
            Body(
                C.BUG,
                "With response_format json_object, {model_id} sometimes wraps the JSON in markdown fences and our "
                "parser fails (~{pct_small}% of calls).",
                "JSON mode returns fenced output in ~{pct_small}% of calls",
            ),
            Body(
                C.BUG,
                "Tool calls on {model_id} occasionally carry arguments that don't match the schema (strings instead "
                "of integers).",
                "Tool-call arguments violate schema on {model_id}",
            ),
            Body(
                C.FEATURE_REQUEST,
                "Please support strict JSON-schema enforcement for structured outputs; retries are eating our "
                "latency budget.",
                "Strict JSON-schema enforcement",
            ),
            Body(
                C.IMPROVEMENT,
                "Parallel tool calls would halve the round-trips of our {workflow} agent.",
                "Parallel tool calls for {workflow} agent",
            ),
            Body(
                C.PRAISE,
                "Function calling on {model} is rock solid in our {workflow} agent — zero schema errors in {big_n} "
                "calls.",
                "Function calling reliable in {workflow} agent",
            ),
        ),
        fr=(
            Body(
                C.BUG,
                "Avec response_format json_object, {model_id} renvoie parfois le JSON entouré de balises markdown et "
                "notre parseur plante.",
                "JSON mode returns fenced output (FR)",
            ),
        ),
        de=(
            Body(
                C.BUG,
                "Bei Tool-Calls auf {model_id} passen die Argumente manchmal nicht zum Schema (Strings statt Integer).",
                "Tool-call arguments violate schema (DE)",
            ),
        ),
    ),
    Topic(
        key="long_context",
        affinity={"use_case": {UseCase.DOCUMENT_ANALYSIS: 5, UseCase.RESEARCH: 2}},
        weight=6,
        products={P.MISTRAL_LARGE: 5, P.MISTRAL_MEDIUM: 2, P.LE_CHAT: 1},
        areas={A.INFERENCE: 1},
        tags=("context-window", "documents", "long-context"),
        bodies=(
            Body(
                C.FEATURE_REQUEST,
                "Our {doc_type} are often {pages} pages long; we need a bigger context window to stop chunking them.",
                "Bigger context window for {pages}-page {doc_type}",
            ),
            Body(
                C.PAIN_POINT,
                "Chunking {doc_type} loses the cross-references between sections, so the summaries miss key clauses.",
                "Chunking loses cross-references in {doc_type}",
            ),
            Body(
                C.BUG,
                "Requests above {ctx}k tokens to {model_id} fail with a 400 although the model card says 128k.",
                "400 error above {ctx}k tokens on {model_id}",
            ),
            Body(
                C.PRAISE,
                "The 128k context of {model} let us drop our whole chunking pipeline for {doc_type}. Huge win.",
                "128k context removed chunking for {doc_type}",
            ),
            Body(
                C.QUESTION,
                "Does quality degrade towards the end of the context window? We see misses on facts from the middle "
                "of {doc_type}.",
                "Recall in the middle of long {doc_type}?",
            ),
        ),
        fr=(
            Body(
                C.FEATURE_REQUEST,
                "Nos {doc_type} font souvent {pages} pages : il nous faudrait une fenêtre de contexte plus grande "
                "pour éviter le découpage.",
                "Bigger context window for long documents (FR)",
            ),
        ),
        de=(
            Body(
                C.PRAISE,
                "Dank 128k Kontext brauchen wir für unsere {doc_type} kein Chunking mehr. Großartig!",
                "128k context removed chunking (DE)",
            ),
        ),
    ),
    Topic(
        key="audit_logs",
        affinity={"industry": {Industry.FINANCIAL_SERVICES: 4, Industry.GOVERNMENT: 3, Industry.HEALTHCARE: 2}},
        exclude_sources=NOT_ON_GITHUB,
        weight=5,
        products={P.LE_CHAT: 3, P.API: 3},
        areas={A.AUTH: 2, A.DASHBOARD: 2},
        tags=("audit-log", "admin", "compliance", "rbac"),
        bodies=(
            Body(
                C.FEATURE_REQUEST,
                "Our compliance team needs an exportable audit log of who accessed which workspace and who created "
                "which API key.",
                "Exportable audit log of access and key creation",
            ),
            Body(
                C.FEATURE_REQUEST,
                "We need role-based access so that only admins can create API keys; right now every member can.",
                "RBAC for API key creation",
            ),
            Body(
                C.PAIN_POINT,
                "For our {cert} audit we had to reconstruct admin actions from emails because there is no audit trail.",
                "No audit trail for {cert} audit",
            ),
            Body(
                C.QUESTION,
                "Can audit events be streamed to our SIEM ({siem})?",
                "Stream audit events to {siem}?",
            ),
        ),
        fr=(
            Body(
                C.FEATURE_REQUEST,
                "Notre équipe conformité a besoin d'un journal d'audit exportable (accès aux espaces de travail, "
                "création de clés API).",
                "Exportable audit log (FR)",
            ),
        ),
        de=(
            Body(
                C.PAIN_POINT,
                "Für unser {cert}-Audit mussten wir Admin-Aktionen aus E-Mails rekonstruieren, weil es kein "
                "Audit-Log gibt.",
                "No audit trail for {cert} audit (DE)",
            ),
        ),
    ),
    Topic(
        key="batch_api",
        affinity={"use_case": {UseCase.DATA_EXTRACTION: 3, UseCase.DOCUMENT_ANALYSIS: 2}},
        weight=5,
        products={P.API: 5, P.MISTRAL_SMALL: 2, P.EMBED: 1},
        areas={A.API: 1},
        tags=("batch", "async", "cost"),
        bodies=(
            Body(
                C.FEATURE_REQUEST,
                "We process {big_n} documents every night; a discounted batch endpoint would fit much better than "
                "real-time calls.",
                "Discounted batch endpoint for nightly jobs",
            ),
            Body(
                C.PRAISE,
                "The new Batch API cut the cost of our nightly {workflow} run by {pct}% and we stopped fighting "
                "rate limits.",
                "Batch API cut {workflow} cost by {pct}%",
            ),
            Body(
                C.BUG,
                "Batch job {batch_id} finished but the output file is missing {n} results, without any error entry.",
                "Batch output missing results",
            ),
            Body(
                C.QUESTION,
                "What's the SLA for batch jobs — are results guaranteed within 24 hours?",
                "Batch job completion SLA?",
            ),
        ),
        de=(
            Body(
                C.PRAISE,
                "Mit der neuen Batch-API sind unsere nächtlichen Läufe um {pct} % günstiger geworden. Danke!",
                "Batch API cut nightly cost (DE)",
            ),
        ),
    ),
    Topic(
        key="pixtral_ocr",
        affinity={"use_case": {UseCase.DATA_EXTRACTION: 4, UseCase.DOCUMENT_ANALYSIS: 2}},
        weight=4,
        products={P.PIXTRAL: 6, P.BETA: 1},
        areas={A.INFERENCE: 1},
        tags=("ocr", "vision", "pixtral", "tables"),
        bodies=(
            Body(
                C.PAIN_POINT,
                "Pixtral misreads numbers in scanned {doc_type}, especially in tables with merged cells.",
                "Pixtral misreads table numbers in {doc_type}",
            ),
            Body(
                C.FEATURE_REQUEST,
                "We'd love an OCR mode that returns the table structure (rows and columns) rather than prose.",
                "Table-structured OCR output",
            ),
            Body(
                C.BUG,
                "Images larger than {mp} MP are rejected with a generic 422 instead of being resized.",
                "Large images rejected with generic 422",
            ),
            Body(
                C.PRAISE,
                "Pixtral reads the handwritten notes on our {doc_type} better than our legacy OCR vendor.",
                "Pixtral beats legacy OCR on handwriting",
            ),
        ),
        fr=(
            Body(
                C.PAIN_POINT,
                "Pixtral se trompe sur les montants dans nos factures scannées, surtout dans les tableaux avec des "
                "cellules fusionnées.",
                "Pixtral misreads amounts in scanned invoices (FR)",
            ),
        ),
    ),
    Topic(
        key="sdk_quality",
        affinity={"industry": {Industry.TECHNOLOGY: 4}, "tier": {Tier.STARTUP: 2, Tier.MID_MARKET: 1.5}},
        weight=5,
        products={P.API: 1},
        areas={A.API: 3, A.DOCS: 1},
        tags=("sdk", "python", "typescript", "breaking-change"),
        source_bias=((Source.GITHUB, 0.55),),
        bodies=(
            Body(
                C.BUG,
                "After upgrading {sdk_pkg} to {sdk_ver}, chat.complete raises TypeError on the `tools` argument. "
                "Pinning back fixes it.",
                "{sdk_pkg} {sdk_ver} breaks the tools argument",
            ),
            Body(
                C.COMPLAINT,
                "A minor release of {sdk_pkg} renamed methods without any deprecation period. Please follow semver.",
                "{sdk_pkg} minor release broke the API",
            ),
            Body(
                C.FEATURE_REQUEST,
                "Please add async streaming helpers and typed responses to {sdk_pkg}.",
                "Async streaming and typed responses in {sdk_pkg}",
            ),
            Body(
                C.BUG,
                "The retry logic in {sdk_pkg} retries on 400 errors, so invalid requests get sent {n} times.",
                "{sdk_pkg} retries 400 errors",
            ),
        ),
    ),
    Topic(
        key="docs",
        affinity={"tier": {Tier.STARTUP: 3, Tier.MID_MARKET: 2}, "lifecycle": {Lifecycle.ONBOARDING: 3}},
        weight=5,
        products={P.API: 3, P.MISTRAL_LARGE: 1, P.CODESTRAL: 1, P.EMBED: 1},
        areas={A.DOCS: 1},
        tags=("docs", "examples", "cookbook"),
        bodies=(
            Body(
                C.IMPROVEMENT,
                "The docs explain each endpoint, but there's no end-to-end example of {workflow} with retries, "
                "streaming and evaluation.",
                "End-to-end {workflow} example missing",
            ),
            Body(
                C.QUESTION,
                "The guide mentions a `safe_prompt` parameter but it's not in the API reference — is it still "
                "supported?",
                "safe_prompt missing from API reference",
            ),
            Body(
                C.PAIN_POINT,
                "Half of the cookbook notebooks use deprecated model names, so new developers copy code that "
                "doesn't work.",
                "Cookbook uses deprecated model names",
            ),
            Body(
                C.PRAISE,
                "The new prompting guide is excellent; we shared it with our whole {team}.",
                "Prompting guide praised",
            ),
        ),
        fr=(
            Body(
                C.IMPROVEMENT,
                "La documentation manque d'un exemple de bout en bout, avec gestion des erreurs et streaming, pour "
                "notre cas d'usage : {workflow}.",
                "End-to-end example missing (FR)",
            ),
        ),
    ),
    Topic(
        key="le_chat_connectors",
        affinity={"use_case": {UseCase.INTERNAL_TOOLS: 5}},
        exclude_sources=NOT_ON_GITHUB,
        weight=6,
        products={P.LE_CHAT: 4, P.BETA: 2},
        areas={A.DASHBOARD: 2, A.EMBEDDINGS: 1},
        tags=("le-chat", "connectors", "rag", "knowledge-base"),
        bodies=(
            Body(
                C.FEATURE_REQUEST,
                "Le Chat would be ten times more useful if it could search our {kb} — people keep pasting documents "
                "in by hand.",
                "Le Chat connector to {kb}",
            ),
            Body(
                C.BUG,
                "The {kb} connector (beta) only indexes the first {file_limit} files of a folder.",
                "{kb} connector indexes only part of a folder",
            ),
            Body(
                C.PRAISE,
                "Our {team} uses Le Chat daily since the {kb} connector beta; the answers cite the right pages.",
                "{kb} connector beta loved by {team}",
            ),
            Body(
                C.PAIN_POINT,
                "{kb} permissions aren't respected: users see snippets from documents they can't open.",
                "{kb} permissions not respected in Le Chat",
            ),
            Body(
                C.QUESTION,
                "Is there an API to push our own documents into a Le Chat library?",
                "API to push documents to a Le Chat library?",
            ),
        ),
        fr=(
            Body(
                C.FEATURE_REQUEST,
                "Le Chat serait bien plus utile s'il pouvait chercher directement dans notre {kb}.",
                "Le Chat connector to {kb} (FR)",
            ),
            Body(
                C.PRAISE,
                "Depuis la bêta du connecteur {kb}, notre équipe utilise Le Chat tous les jours. Les sources citées "
                "sont les bonnes.",
                "{kb} connector beta praised (FR)",
            ),
        ),
        de=(
            Body(
                C.PAIN_POINT,
                "Die Berechtigungen aus {kb} werden nicht berücksichtigt: Nutzer sehen Auszüge aus Dokumenten, die "
                "sie nicht öffnen dürfen.",
                "{kb} permissions not respected (DE)",
            ),
        ),
    ),
    Topic(
        key="spend_controls",
        affinity={"tier": {Tier.STARTUP: 2, Tier.MID_MARKET: 2}},
        exclude_sources=NOT_ON_GITHUB,
        weight=5,
        products={P.API: 5, P.LE_CHAT: 1},
        areas={A.BILLING: 3, A.DASHBOARD: 2},
        tags=("budget", "alerts", "billing", "spend-cap"),
        bodies=(
            Body(
                C.FEATURE_REQUEST,
                "Please add hard spend caps per workspace — a runaway script burned {amount} over a weekend.",
                "Hard spend caps after {amount} runaway",
            ),
            Body(
                C.FEATURE_REQUEST,
                "Email or Slack alerts at 50/80/100% of the monthly budget would let us react before finance does.",
                "Budget threshold alerts",
            ),
            Body(
                C.PAIN_POINT,
                "We only discover overspend when the invoice arrives; there's no forecast in the console.",
                "No spend forecast in the console",
            ),
            Body(
                C.COMPLAINT,
                "A test key with no limit ran up {amount}. New keys should come with a default cap.",
                "No default cap on new keys cost {amount}",
            ),
        ),
        de=(
            Body(
                C.FEATURE_REQUEST,
                "Bitte harte Budgetgrenzen pro Workspace einführen – ein fehlerhaftes Skript hat am Wochenende "
                "{amount} verbraucht.",
                "Hard spend caps per workspace (DE)",
            ),
        ),
    ),
    Topic(
        key="open_weight",
        affinity={"industry": {Industry.TECHNOLOGY: 3, Industry.GOVERNMENT: 2}},
        weight=4,
        products={P.OPEN_WEIGHT: 1},
        areas={A.INFERENCE: 1},
        tags=("open-weight", "vllm", "quantization", "self-hosted"),
        source_bias=((Source.GITHUB, 0.5), (Source.SLACK, 0.15)),
        bodies=(
            Body(
                C.BUG,
                "Loading {ow_model} in vLLM {vllm_ver} fails with a tokenizer mismatch error.",
                "{ow_model} tokenizer mismatch in vLLM {vllm_ver}",
            ),
            Body(
                C.QUESTION,
                "Which quantization (AWQ, GPTQ, FP8) do you recommend for {ow_model} on {gpu}?",
                "Recommended quantization for {ow_model} on {gpu}",
            ),
            Body(
                C.FEATURE_REQUEST,
                "Please publish official FP8 weights for {ow_model}; community quants vary a lot in quality.",
                "Official FP8 weights for {ow_model}",
            ),
            Body(
                C.PRAISE,
                "{ow_model} runs beautifully on a single {gpu}. Thanks for the Apache 2.0 licence!",
                "{ow_model} praised for single-GPU performance",
            ),
        ),
    ),
    Topic(
        key="api_keys",
        affinity={"industry": {Industry.FINANCIAL_SERVICES: 2, Industry.TECHNOLOGY: 2}},
        weight=4,
        products={P.API: 1},
        areas={A.AUTH: 3, A.DASHBOARD: 2},
        tags=("api-keys", "security", "rotation"),
        bodies=(
            Body(
                C.FEATURE_REQUEST,
                "We need API keys scoped to specific models and workspaces, so a leaked key can't be used for "
                "everything.",
                "Scoped API keys per model and workspace",
            ),
            Body(
                C.FEATURE_REQUEST,
                "Please support key expiry and zero-downtime rotation — our policy requires rotating every "
                "{rotation_days} days.",
                "Key expiry and rotation",
            ),
            Body(
                C.QUESTION,
                "How do I rotate an API key without breaking running jobs?",
                "How to rotate API keys safely",
            ),
            Body(
                C.BUG,
                "Deleted API keys keep working for a few minutes after deletion.",
                "Deleted API keys still accepted",
            ),
        ),
        fr=(
            Body(
                C.QUESTION,
                "Comment faire tourner une clé API sans interrompre les traitements en cours ?",
                "How to rotate API keys safely (FR)",
            ),
        ),
    ),
    # Topics without a theme: general remarks and the behavioural signals of the usage analytics.
    Topic(
        key="general",
        exclude_sources=NOT_ON_GITHUB,
        weight=7,
        products={
            P.MISTRAL_LARGE: 3,
            P.MISTRAL_MEDIUM: 2,
            P.MISTRAL_SMALL: 2,
            P.LE_CHAT: 2,
            P.API: 2,
            P.CODESTRAL: 1,
        },
        areas={A.API: 2, A.DASHBOARD: 1, A.INFERENCE: 2},
        tags=("general", "account"),
        bodies=(
            Body(
                C.PRAISE,
                "Honestly the best model per euro we've tested. {model} handles our {workflow} in {lang_doc} and "
                "English equally well.",
                "{model} praised for {workflow} quality per cost",
            ),
            Body(
                C.PRAISE,
                "Your support engineer {support_agent} went above and beyond to help us debug our integration. "
                "Thank you!",
                "Support engineer {support_agent} praised",
            ),
            Body(
                C.QUESTION,
                "Is there a way to get a sandbox organisation for our {team} with a separate invoice?",
                "Sandbox organisation with separate invoice?",
                area=A.BILLING,
            ),
            Body(
                C.COMPLAINT,
                "We've been waiting {days} days for an answer on ticket {ticket_ref}. For an enterprise contract "
                "this isn't acceptable.",
                "Slow support response on {ticket_ref}",
            ),
            Body(
                C.IMPROVEMENT,
                "The console gets slow when an organisation has more than {key_count} API keys and workspaces.",
                "Console slow with many keys and workspaces",
                area=A.DASHBOARD,
            ),
            Body(
                C.QUESTION,
                "Are there volume discounts if we commit to {amount} a year?",
                "Volume discounts for annual commit?",
                area=A.BILLING,
            ),
            Body(
                C.CHURN_SIGNAL,
                "Budget cuts: we're consolidating AI vendors and {model} may not survive the review unless pricing "
                "moves.",
                "Vendor consolidation puts {model} at risk",
            ),
            Body(
                C.PRAISE,
                "Le Chat has become the default assistant for our {team}. Adoption beat our forecast.",
                "Le Chat adoption beat forecast",
                product=P.LE_CHAT,
            ),
        ),
        fr=(
            Body(
                C.PRAISE,
                "Franchement, le meilleur rapport qualité-prix que nous ayons testé. {model} gère très bien notre cas "
                "d'usage ({workflow}) en français.",
                "{model} praised for French quality",
            ),
            Body(
                C.COMPLAINT,
                "Nous attendons une réponse au ticket {ticket_ref} depuis {days} jours. Pour un contrat entreprise, "
                "ce n'est pas acceptable.",
                "Slow support response (FR)",
            ),
        ),
        de=(
            Body(
                C.PRAISE,
                "{model} liefert für unseren Anwendungsfall ({workflow}) auf Deutsch hervorragende Ergebnisse. "
                "Weiter so!",
                "{model} praised for German quality",
            ),
            Body(
                C.QUESTION,
                "Gibt es Mengenrabatte, wenn wir uns auf {amount} pro Jahr festlegen?",
                "Volume discounts for annual commit? (DE)",
                area=A.BILLING,
            ),
        ),
    ),
    Topic(
        key="usage_signals",
        affinity={"lifecycle": {Lifecycle.AT_RISK: 3, Lifecycle.EXPANSION: 3, Lifecycle.CHURNED: 2}},
        weight=4,
        products={P.API: 4, P.LE_CHAT: 2, P.CODESTRAL: 1, P.EMBED: 1},
        areas={A.API: 3, A.DASHBOARD: 1},
        tags=("usage", "behavioural"),
        source_bias=((Source.USAGE, 1.0),),
        bodies=(
            Body(
                C.BEHAVIORAL,
                "Usage alert: API requests from {company} dropped {drop_pct}% week over week ({from_n} → {to_n}). "
                "No {feature} calls since {since_date}.",
                "API usage down {drop_pct}% week over week",
                sentiment=(-0.7, -0.3),
            ),
            Body(
                C.BEHAVIORAL,
                "Usage alert: no activity from {company} in the last {inactive_days} days. Last API call on "
                "{since_date}.",
                "No activity for {inactive_days} days",
                sentiment=(-0.8, -0.35),
            ),
            Body(
                C.BEHAVIORAL,
                "Adoption signal: {company} started using {feature} — {big_n} calls this week, {pct}% of their "
                "traffic.",
                "New adoption of {feature}",
                sentiment=(0.5, 0.85),
            ),
            Body(
                C.BEHAVIORAL,
                "Seat utilisation for {company} in Le Chat is at {util_pct}% ({active} of {seats} seats active "
                "this month).",
                "Low Le Chat seat utilisation",
                sentiment=(-0.5, -0.1),
                product=P.LE_CHAT,
            ),
            Body(
                C.BEHAVIORAL,
                "Expansion signal: {company}'s token volume on {model} is up {pct}% month over month.",
                "Token volume up {pct}% month over month",
                sentiment=(0.55, 0.9),
            ),
        ),
    ),
)
TOPICS_BY_KEY = {topic.key: topic for topic in TOPICS}

# Sources each category usually arrives through (seed 001, "Automation Opportunities").
SOURCE_WEIGHTS_BY_CATEGORY = {
    C.BUG: {
        Source.ZENDESK: 30,
        Source.INTERCOM: 20,
        Source.GITHUB: 12,
        Source.LINEAR: 14,
        Source.SLACK: 16,
        Source.EMAIL: 6,
        Source.MANUAL: 2,
    },
    C.FEATURE_REQUEST: {
        Source.CALL: 20,
        Source.CRM: 14,
        Source.SLACK: 15,
        Source.INTERCOM: 10,
        Source.EMAIL: 10,
        Source.IN_APP: 10,
        Source.LINEAR: 5,
        Source.GITHUB: 4,
        Source.MANUAL: 10,
    },
    C.IMPROVEMENT: {
        Source.IN_APP: 25,
        Source.INTERCOM: 15,
        Source.SLACK: 15,
        Source.GITHUB: 8,
        Source.NPS: 15,
        Source.MANUAL: 10,
        Source.EMAIL: 10,
    },
    C.QUESTION: {Source.INTERCOM: 35, Source.ZENDESK: 25, Source.SLACK: 20, Source.EMAIL: 10, Source.GITHUB: 10},
    C.PAIN_POINT: {
        Source.CALL: 20,
        Source.SLACK: 20,
        Source.ZENDESK: 14,
        Source.INTERCOM: 14,
        Source.NPS: 10,
        Source.CRM: 10,
        Source.MANUAL: 10,
        Source.IN_APP: 2,
    },
    C.COMPLAINT: {Source.ZENDESK: 30, Source.EMAIL: 25, Source.NPS: 20, Source.SLACK: 15, Source.CALL: 10},
    C.PRAISE: {
        Source.NPS: 35,
        Source.SLACK: 20,
        Source.CALL: 15,
        Source.IN_APP: 15,
        Source.EMAIL: 10,
        Source.MANUAL: 5,
    },
    C.CHURN_SIGNAL: {Source.CRM: 35, Source.CALL: 35, Source.EMAIL: 15, Source.NPS: 10, Source.MANUAL: 5},
    C.BEHAVIORAL: {Source.USAGE: 1},
}
# Sources where the customer writes in their own words (so in their own language).
CUSTOMER_WRITTEN_SOURCES = frozenset(
    {Source.INTERCOM, Source.ZENDESK, Source.EMAIL, Source.SLACK, Source.IN_APP, Source.NPS}
)

# What a duplicate report of each category starts with (English verbatims only).
DUPLICATE_LEADS = {
    C.BUG: ("Same issue as before: ", "Still seeing this. ", "This is happening again: ", ""),
    C.PAIN_POINT: ("Still a problem for us: ", "Raising this again: ", ""),
    C.COMPLAINT: ("Following up, still no answer: ", "Again: ", ""),
    C.FEATURE_REQUEST: ("+1 on this request: ", "Raising this again: ", "Any update? ", ""),
    C.IMPROVEMENT: ("+1: ", ""),
    C.CHURN_SIGNAL: ("Escalating: ", ""),
}
SLACK_REACTIONS = {C.BUG: "bug", C.FEATURE_REQUEST: "bulb", C.IMPROVEMENT: "bulb"}  # anything else: "mega"
IN_APP_PAGES = {
    A.API: "/playground",
    A.DASHBOARD: "/usage",
    A.FINE_TUNING: "/fine-tuning",
    A.EMBEDDINGS: "/playground",
    A.BILLING: "/billing",
    A.DOCS: "/docs",
    A.AUTH: "/workspaces/settings",
    A.INFERENCE: "/chat",
}

# Sentiment score range of each category, before the body's own override.
SENTIMENT_BY_CATEGORY = {
    C.BUG: (-0.75, -0.1),
    C.FEATURE_REQUEST: (-0.25, 0.45),
    C.IMPROVEMENT: (-0.3, 0.4),
    C.QUESTION: (-0.15, 0.35),
    C.PAIN_POINT: (-0.8, -0.2),
    C.COMPLAINT: (-0.95, -0.45),
    C.PRAISE: (0.55, 0.98),
    C.CHURN_SIGNAL: (-0.95, -0.5),
    C.BEHAVIORAL: (-0.6, 0.6),
}
SEVERITY_WEIGHTS_BY_CATEGORY = {
    C.BUG: {"critical": 10, "high": 35, "medium": 40, "low": 15},
    C.COMPLAINT: {"critical": 5, "high": 35, "medium": 45, "low": 15},
    C.PAIN_POINT: {"critical": 3, "high": 30, "medium": 50, "low": 17},
    C.CHURN_SIGNAL: {"critical": 35, "high": 50, "medium": 15},
    C.FEATURE_REQUEST: {"high": 15, "medium": 50, "low": 35},
    C.IMPROVEMENT: {"medium": 40, "low": 60},
    C.QUESTION: {"medium": 20, "low": 80},
    C.PRAISE: {"low": 1},
    C.BEHAVIORAL: {"high": 30, "medium": 40, "low": 30},
}
# Feedback status given the status of the theme it is linked to (unlinked items use ``None``).
STATUS_WEIGHTS_BY_THEME_STATUS = {
    ThemeStatus.HYPOTHESIS: {"new": 30, "reviewing": 55, "wont_do": 15},
    ThemeStatus.VALIDATED: {"reviewing": 25, "validated": 65, "wont_do": 10},
    ThemeStatus.IN_PROGRESS: {"validated": 20, "building": 75, "wont_do": 5},
    ThemeStatus.SHIPPED: {"shipped": 85, "building": 15},
    None: {"new": 25, "reviewing": 40, "validated": 10, "wont_do": 20, "shipped": 5},
}
STATUS_WEIGHTS_OF_SIGNALS = {"new": 40, "reviewing": 50, "validated": 10}  # behavioural signals are watched, not built

CALL_FRAMES = ('{call_kind} — {person} ({role}, {company}): "{body}"', '{call_kind} notes. {person} ({role}): "{body}"')
CRM_FRAMES = ('{crm_kind}: customer said "{body}"', "{crm_kind} — {company}: {body}")
LINEAR_FRAMES = ("Customer-reported ({company}): {body}", "Reported by {company} via support: {body}")
MANUAL_FRAMES = ("Logged after {meeting} with {company}: {body}", "From {meeting} ({company}): {body}")

# --------------------------------------------------------------------------------------------------------------
# Themes


@dataclass(frozen=True)
class ThemeSpec:
    """One demo theme, backed by a feedback topic."""

    topic: str
    name: str
    status: str
    owner: str
    description: str
    problem_statement: str
    tracker_issues: tuple[str, ...] = ()


THEMES: tuple[ThemeSpec, ...] = (
    ThemeSpec(
        "rate_limits",
        "Rate limits block production batch workloads",
        ThemeStatus.IN_PROGRESS,
        "camille.laurent",
        "429s and opaque quotas on La Plateforme stretch nightly jobs and push teams to build their own throttling.",
        "We believe high-volume API customers struggle with unpredictable 429s when trying to run large batch "
        "workloads on a schedule they can commit to.",
        ("LIN-142", "LIN-157"),
    ),
    ThemeSpec(
        "latency",
        "Latency spikes on Mistral Large at peak hours",
        ThemeStatus.VALIDATED,
        "priya.natarajan",
        "Time to first token and tail latency degrade during EU and US business peaks.",
        "We believe customers with interactive agents struggle with tail latency at peak hours when trying to keep "
        "a conversational experience under two seconds.",
        ("LIN-203",),
    ),
    ThemeSpec(
        "sso",
        "SAML SSO and SCIM provisioning for Le Chat Enterprise",
        ThemeStatus.SHIPPED,
        "jonas.weber",
        "Enterprise IT needs identity-provider login and automatic provisioning before rolling Le Chat out widely.",
        "We believe enterprise IT teams struggle with managing seats by hand when trying to roll Le Chat out to "
        "thousands of employees under their security policy.",
        ("LIN-88", "LIN-91", "LIN-97"),
    ),
    ThemeSpec(
        "gdpr_residency",
        "EU data residency and GDPR guarantees",
        ThemeStatus.SHIPPED,
        "jonas.weber",
        "European customers need contractual EU-only processing, zero retention and a clear sub-processor list.",
        "We believe regulated European customers struggle with legal sign-off when trying to move AI workloads from "
        "pilot to production.",
        ("LIN-64", "LIN-70"),
    ),
    ThemeSpec(
        "on_prem",
        "Self-hosted deployment in the customer's VPC",
        ThemeStatus.VALIDATED,
        "priya.natarajan",
        "Banks, governments and healthcare providers cannot call a public API at all.",
        "We believe customers with strict data-sovereignty rules struggle with approval of any SaaS API when trying "
        "to use frontier models on sensitive data.",
        ("LIN-231",),
    ),
    ThemeSpec(
        "fine_tuning",
        "Fine-tuning jobs stall or fail without actionable errors",
        ThemeStatus.IN_PROGRESS,
        "priya.natarajan",
        "Jobs stuck in RUNNING, validation errors without line numbers, no resume from checkpoints.",
        "We believe ML teams struggle with opaque fine-tuning failures when trying to iterate on a domain model "
        "within a sprint.",
        ("LIN-176", "LIN-181"),
    ),
    ThemeSpec(
        "codestral_ide",
        "Codestral completions in JetBrains and VS Code",
        ThemeStatus.IN_PROGRESS,
        "camille.laurent",
        "Developers want Codestral where they work, with file- and repo-aware completions.",
        "We believe developer-productivity teams struggle with adoption when trying to standardise on one "
        "assistant across every IDE their engineers use.",
        ("LIN-188",),
    ),
    ThemeSpec(
        "billing",
        "Usage and cost breakdown per workspace and project",
        ThemeStatus.VALIDATED,
        "jonas.weber",
        "Finance teams cannot allocate AI spend to the teams that incur it.",
        "We believe finance and platform teams struggle with charging AI costs back when trying to justify budget "
        "per department.",
        ("LIN-215",),
    ),
    ThemeSpec(
        "multilingual_embeddings",
        "Multilingual retrieval quality of Mistral Embed",
        ThemeStatus.HYPOTHESIS,
        "priya.natarajan",
        "Recall seems to drop on non-English corpora; not yet verified beyond a handful of accounts.",
        "We believe customers with multilingual knowledge bases struggle with retrieval quality when trying to "
        "build one RAG assistant for every language they work in.",
    ),
    ThemeSpec(
        "function_calling",
        "Reliable function calling and JSON output",
        ThemeStatus.IN_PROGRESS,
        "camille.laurent",
        "Fenced JSON, schema-violating tool arguments and retries that eat latency budgets.",
        "We believe teams building agents struggle with unreliable structured output when trying to automate "
        "multi-step workflows without human review.",
        ("LIN-162", "LIN-170"),
    ),
    ThemeSpec(
        "long_context",
        "Longer context for large document analysis",
        ThemeStatus.SHIPPED,
        "priya.natarajan",
        "Contracts, filings and manuals exceed the context window and chunking loses cross-references.",
        "We believe document-heavy teams struggle with chunking pipelines when trying to analyse a whole document "
        "in one pass.",
        ("LIN-45",),
    ),
    ThemeSpec(
        "audit_logs",
        "Audit logs and admin controls for workspaces",
        ThemeStatus.VALIDATED,
        "jonas.weber",
        "Compliance teams need an audit trail and role-based control over who can create keys.",
        "We believe regulated customers struggle with audit evidence when trying to pass SOC 2, ISO 27001 or DORA "
        "reviews of their AI usage.",
        ("LIN-240",),
    ),
    ThemeSpec(
        "batch_api",
        "Batch API for large offline workloads",
        ThemeStatus.SHIPPED,
        "camille.laurent",
        "Offline jobs over millions of documents fit a discounted asynchronous endpoint better than real-time calls.",
        "We believe data teams struggle with cost and rate limits when trying to process large document backlogs "
        "overnight.",
        ("LIN-120", "LIN-126"),
    ),
    ThemeSpec(
        "pixtral_ocr",
        "Reading scanned documents and tables with Pixtral",
        ThemeStatus.HYPOTHESIS,
        "sofia.marchetti",
        "Numbers in scanned tables are misread; customers ask for structured output.",
        "We believe back-office teams struggle with extracting figures from scanned documents when trying to "
        "replace their legacy OCR vendor.",
    ),
    ThemeSpec(
        "sdk_quality",
        "SDK stability and breaking changes",
        ThemeStatus.HYPOTHESIS,
        "camille.laurent",
        "Minor releases of the clients broke integrations; retries on 4xx errors.",
        "We believe developers struggle with upgrades of the SDKs when trying to keep integrations current without "
        "regressions.",
    ),
    ThemeSpec(
        "docs",
        "Docs and examples for production use",
        ThemeStatus.HYPOTHESIS,
        "sofia.marchetti",
        "Reference docs are complete but end-to-end production examples are missing or outdated.",
        "We believe new developers struggle with moving from a prototype to production when trying to follow our "
        "examples.",
    ),
    ThemeSpec(
        "le_chat_connectors",
        "Le Chat connectors to company knowledge",
        ThemeStatus.VALIDATED,
        "sofia.marchetti",
        "SharePoint, Google Drive and Confluence connectors that respect document permissions.",
        "We believe knowledge workers struggle with copying documents into Le Chat when trying to get answers "
        "grounded in their company's own knowledge.",
        ("LIN-250",),
    ),
    ThemeSpec(
        "spend_controls",
        "Spend limits and budget alerts",
        ThemeStatus.HYPOTHESIS,
        "jonas.weber",
        "Runaway scripts and uncapped test keys create surprise invoices.",
        "We believe platform owners struggle with surprise overspend when trying to give many teams self-service "
        "access to the API.",
    ),
    ThemeSpec(
        "open_weight",
        "Running open-weight models in production",
        ThemeStatus.HYPOTHESIS,
        "priya.natarajan",
        "vLLM compatibility, official quantised weights and single-GPU deployments.",
        "We believe self-hosting teams struggle with serving our open-weight models efficiently when trying to run "
        "them on the GPUs they already own.",
    ),
    ThemeSpec(
        "api_keys",
        "Scoped API keys and key rotation",
        ThemeStatus.VALIDATED,
        "jonas.weber",
        "Keys that can be limited to models and workspaces, expire and rotate without downtime.",
        "We believe security teams struggle with the blast radius of a leaked key when trying to meet their key "
        "rotation policy.",
        ("LIN-244",),
    ),
)

VERIFICATION_NOTES = (
    "Talked to {n} accounts in {segment}; {k} raised it unprompted.",
    "Cross-checked with usage data: {k} of {n} accounts hit it weekly.",
    "Interview notes in Notion; quotes linked from the theme description.",
    "Sized: ~{n} enterprise accounts affected, mostly {segment}.",
    "",
)

# --------------------------------------------------------------------------------------------------------------
# Launches


@dataclass(frozen=True)
class LaunchSpec:
    """One demo launch; offsets are days relative to today."""

    name: str
    launch_type: str
    status: str
    team: str
    owner: str
    start_offset: int
    target_offset: int
    shipped_offset: int | None
    themes: tuple[str, ...]  # topic keys of the linked themes
    tracker_keys: tuple[str, ...]
    description: str


LAUNCHES: tuple[LaunchSpec, ...] = (
    LaunchSpec(
        "Mistral Large 3 with 128k context",
        LaunchType.MAJOR_MODEL_RELEASE,
        LaunchStatus.SHIPPED,
        LaunchTeam.ML,
        "aisha.rahman",
        -240,
        -170,
        -168,
        ("long_context", "latency"),
        ("LIN-45", "LIN-48"),
        "New flagship model with a 128k-token context window and better long-document recall.",
    ),
    LaunchSpec(
        "SAML SSO and SCIM for Le Chat Enterprise",
        LaunchType.ENTERPRISE_FEATURE,
        LaunchStatus.SHIPPED,
        LaunchTeam.PRODUCT,
        "daniel.kim",
        -200,
        -130,
        -126,
        ("sso",),
        ("LIN-88", "LIN-91", "LIN-97"),
        "Identity-provider login (Okta, Entra ID, Google) and SCIM provisioning for Le Chat Enterprise.",
    ),
    LaunchSpec(
        "EU data residency (Paris region) and zero-retention DPA",
        LaunchType.ENTERPRISE_FEATURE,
        LaunchStatus.SHIPPED,
        LaunchTeam.ENGINEERING,
        "thomas.moreau",
        -160,
        -95,
        -95,
        ("gdpr_residency",),
        ("LIN-64", "LIN-70"),
        "EU-only processing for La Plateforme, a zero-retention option and a published sub-processor list.",
    ),
    LaunchSpec(
        "Batch API general availability",
        LaunchType.API_PLATFORM_UPDATE,
        LaunchStatus.SHIPPED,
        LaunchTeam.ENGINEERING,
        "thomas.moreau",
        -120,
        -62,
        -60,
        ("batch_api", "rate_limits"),
        ("LIN-120", "LIN-126"),
        "Asynchronous batch endpoint at half price, with results within 24 hours.",
    ),
    LaunchSpec(
        "Hotfix: stalled streaming responses on Mistral Large",
        LaunchType.BUG_FIX_HOTFIX,
        LaunchStatus.SHIPPED,
        LaunchTeam.ENGINEERING,
        "thomas.moreau",
        -40,
        -36,
        -36,
        ("latency",),
        ("LIN-209",),
        "Fixes multi-second stalls in streamed completions under load.",
    ),
    LaunchSpec(
        "Fine-tuning guide and cookbook refresh",
        LaunchType.DOCUMENTATION,
        LaunchStatus.SHIPPED,
        LaunchTeam.PRODUCT,
        "daniel.kim",
        -45,
        -18,
        -17,
        ("docs", "fine_tuning"),
        ("LIN-222",),
        "Rewritten fine-tuning guide and cookbook notebooks updated to current model names.",
    ),
    LaunchSpec(
        "Rate-limit tiers and quota headers",
        LaunchType.API_PLATFORM_UPDATE,
        LaunchStatus.AT_RISK,
        LaunchTeam.ENGINEERING,
        "thomas.moreau",
        -50,
        4,
        None,
        ("rate_limits",),
        ("LIN-142", "LIN-157"),
        "Self-serve rate-limit tiers and x-ratelimit-* response headers on every endpoint.",
    ),
    LaunchSpec(
        "Fine-tuning job recovery and clearer validation errors",
        LaunchType.BUG_FIX_HOTFIX,
        LaunchStatus.IN_DEV,
        LaunchTeam.ML,
        "aisha.rahman",
        -20,
        9,
        None,
        ("fine_tuning",),
        ("LIN-176", "LIN-181"),
        "Stuck jobs are detected and resumed from the last checkpoint; validation errors name the failing line.",
    ),
    LaunchSpec(
        "Codestral for JetBrains IDEs (beta)",
        LaunchType.EXPERIMENTAL_BETA,
        LaunchStatus.BETA,
        LaunchTeam.PRODUCT,
        "daniel.kim",
        -60,
        28,
        None,
        ("codestral_ide",),
        ("LIN-188",),
        "A Codestral plugin for IntelliJ IDEA, PyCharm and Rider, open to design partners.",
    ),
    LaunchSpec(
        "Le Chat connectors: SharePoint and Google Drive (beta)",
        LaunchType.EXPERIMENTAL_BETA,
        LaunchStatus.BETA,
        LaunchTeam.PRODUCT,
        "daniel.kim",
        -30,
        55,
        None,
        ("le_chat_connectors",),
        ("LIN-250",),
        "Permission-aware connectors that let Le Chat answer from company documents.",
    ),
    LaunchSpec(
        "Workspace audit logs and role-based access",
        LaunchType.ENTERPRISE_FEATURE,
        LaunchStatus.IN_DEV,
        LaunchTeam.ENGINEERING,
        "thomas.moreau",
        -10,
        90,
        None,
        ("audit_logs", "api_keys"),
        ("LIN-240", "LIN-244"),
        "Exportable audit log, SIEM streaming and admin-only key creation.",
    ),
    LaunchSpec(
        "Pixtral 2 for document understanding",
        LaunchType.MAJOR_MODEL_RELEASE,
        LaunchStatus.IN_DEV,
        LaunchTeam.ML,
        "aisha.rahman",
        -25,
        165,
        None,
        ("pixtral_ocr", "function_calling"),
        ("LIN-260",),
        "Vision model tuned for scanned documents and tables, with structured JSON output.",
    ),
)
