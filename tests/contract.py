"""Facts the public contract (../shared/CONTRACT.md) fixes, written once for every test."""

CATALOG_TREATMENT_SLUGS = [
    "spinal-hardware-removal",
    "revision-spine-surgery",
    "spinal-cord-stimulation",
    "intrathecal-drug-delivery",
    "epidural-steroid-injection",
    "nerve-block",
    "radiofrequency-ablation",
    "physical-therapy",
    "spinal-fusion",
    "discectomy",
    "laminectomy",
    "minimally-invasive-spine-surgery",
]

CATALOG_BOARDS = {
    "ABOS": "American Board of Orthopaedic Surgery",
    "AOBOS": "American Osteopathic Board of Orthopedic Surgery",
    "ABNS": "American Board of Neurological Surgery",
    "ABPMR": "American Board of Physical Medicine and Rehabilitation",
    "ABA": "American Board of Anesthesiology",
    "ABPN": "American Board of Psychiatry and Neurology",
}
