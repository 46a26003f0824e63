"""A small labelled retrieval set written for llmkit: 24 passages and 30 questions.

Each question names the one passage that answers it. Questions are paraphrased, so that
most of them share few words with their passage and a keyword match alone is not enough.
"""

from __future__ import annotations

PASSAGES: dict[str, str] = {
    "tides": "Tides rise and fall twice a day mainly because the Moon's gravity pulls on the "
    "oceans; the Sun adds a smaller pull, giving spring and neap tides.",
    "photosynthesis": "Plants turn sunlight, water and carbon dioxide into glucose and oxygen "
    "in their chloroplasts, using the green pigment chlorophyll.",
    "vaccines": "A vaccine trains the immune system by showing it a harmless piece or copy of a "
    "pathogen, so that memory cells respond quickly to a later infection.",
    "inflation": "When a central bank raises interest rates, borrowing gets more expensive, "
    "spending slows and price growth usually eases over the following year.",
    "sourdough": "Sourdough bread is leavened by a starter of wild yeast and lactic acid "
    "bacteria, which gives the loaf its tangy flavour and chewy crumb.",
    "volcano": "Volcanoes erupt when molten rock called magma, lighter than the surrounding "
    "rock, rises through cracks in the crust and releases trapped gases.",
    "tcp": "TCP guarantees that bytes arrive in order and without loss by numbering segments, "
    "acknowledging them and retransmitting anything that goes missing.",
    "sqlite_wal": "In write-ahead logging mode SQLite appends changes to a separate WAL file, "
    "so readers keep reading the old pages while a writer commits.",
    "marathon": "The marathon distance of 42.195 kilometres was fixed at the 1908 London "
    "Olympics so the race could finish in front of the royal box.",
    "coffee": "Caffeine blocks adenosine receptors in the brain, which is why coffee makes "
    "people feel less tired for a few hours.",
    "bees": "Honeybees tell their hive mates where flowers are with a waggle dance whose angle "
    "and duration encode direction and distance.",
    "rainbow": "A rainbow appears when sunlight is refracted, reflected and dispersed inside "
    "raindrops, splitting white light into its colours.",
    "password": "Store passwords with a slow salted hash such as Argon2 or bcrypt, never in "
    "plain text, so a stolen database does not reveal them.",
    "compost": "Compost needs a mix of green nitrogen-rich scraps and brown carbon-rich "
    "material, kept moist and turned so microbes get oxygen.",
    "chess": "In chess, castling moves the king two squares toward a rook and puts the rook on "
    "the other side, allowed only if neither piece has moved.",
    "jet_lag": "Jet lag happens because the body's internal circadian clock stays on the old "
    "time zone; morning daylight at the destination helps it adjust.",
    "bridges": "Suspension bridges hang the deck from vertical cables attached to main cables "
    "that run over tall towers and are anchored at both ends.",
    "git_rebase": "git rebase replays your commits on top of another branch, rewriting their "
    "history to give a linear log, unlike a merge commit.",
    "penguins": "Emperor penguins huddle together in the Antarctic winter, taking turns on the "
    "windy edge of the group to share warmth.",
    "solar_panels": "Solar panels make electricity when photons knock electrons loose in "
    "silicon cells, creating a direct current that an inverter converts.",
    "sleep": "Adults need roughly seven to nine hours of sleep; too little harms memory, mood "
    "and the immune system.",
    "pyramids": "The Great Pyramid of Giza was built around 2560 BC as a tomb for the pharaoh "
    "Khufu, from over two million limestone blocks.",
    "error_code": "Error E4021 means the licence server could not be reached; check the proxy "
    "settings and that port 27000 is open.",
    "recycling": "Aluminium cans can be recycled endlessly without losing quality, and "
    "recycling one saves most of the energy needed to make a new can.",
}

QUESTIONS: list[tuple[str, str]] = [
    ("Why does the sea level at the beach change during the day?", "tides"),
    ("How do leaves make food from light?", "photosynthesis"),
    ("How does an immunization protect you from getting sick later?", "vaccines"),
    ("What happens to rising prices when the bank makes loans costlier?", "inflation"),
    ("What makes some loaves taste sour?", "sourdough"),
    ("What causes a mountain to spew lava?", "volcano"),
    ("How does the internet make sure no data is lost in transit?", "tcp"),
    ("How can a database let people read while someone else is writing?", "sqlite_wal"),
    ("Why is the long-distance running race such an odd length?", "marathon"),
    ("Why does an espresso keep me awake?", "coffee"),
    ("How do insects tell each other where the nectar is?", "bees"),
    ("Where do the colours in the sky after a shower come from?", "rainbow"),
    ("What is the safe way to keep user login secrets in my app?", "password"),
    ("How do I turn kitchen waste into garden soil?", "compost"),
    ("When may a king swap places with a rook?", "chess"),
    ("Why am I tired after flying across the world?", "jet_lag"),
    ("How is the road of the Golden Gate held up?", "bridges"),
    ("How do I move my branch's commits onto main without a merge?", "git_rebase"),
    ("How do birds in Antarctica survive the cold?", "penguins"),
    ("How does a rooftop array turn sunshine into power?", "solar_panels"),
    ("How much rest does a grown-up need each night?", "sleep"),
    ("Who was buried in the biggest Egyptian tomb?", "pyramids"),
    ("What does E4021 mean?", "error_code"),
    ("Is it worth recycling soda cans?", "recycling"),
    ("the moon pulls the ocean", "tides"),
    ("chlorophyll", "photosynthesis"),
    ("licence server unreachable", "error_code"),
    ("argon2 or bcrypt", "password"),
    ("circadian rhythm after travel", "jet_lag"),
    ("magma rising through the crust", "volcano"),
]
