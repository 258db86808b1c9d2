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
