"""The built-in catalog: the contract's treatment slugs and board codes.

Content pages (bodies, conditions) are filled in by later migrations; admins edit
everything afterwards, so this migration only creates what is missing.
"""

from django.db import migrations

TREATMENTS = [
    ("spinal-hardware-removal", "Spinal hardware removal",
     "Surgery to take out screws, rods or plates from an earlier spine operation when they cause pain, infection or a failed fusion."),
    ("revision-spine-surgery", "Revision spine surgery",
     "A second operation that corrects a problem left by an earlier spine surgery, such as a failed fusion or a nerve still under pressure."),
    ("spinal-cord-stimulation", "Spinal cord stimulation",
     "An implanted device sends mild electrical pulses to the spinal cord to quiet pain signals before they reach the brain."),
    ("intrathecal-drug-delivery", "Intrathecal drug delivery",
     "A small implanted pump delivers tiny, regular doses of pain medicine straight into the fluid around the spinal cord."),
    ("epidural-steroid-injection", "Epidural steroid injection",
     "An anti-inflammatory injection near irritated spinal nerves that can ease pain and help find where it comes from."),
    ("nerve-block", "Nerve block",
     "An injection of anesthetic, sometimes with a steroid, that interrupts pain from a specific nerve."),
    ("radiofrequency-ablation", "Radiofrequency ablation",
     "Heat from a needle-thin probe switches off small nerves that carry pain from the spine's joints."),
    ("physical-therapy", "Physical therapy",
     "Guided exercise and hands-on care that rebuild strength and mobility after spine surgery."),
    ("spinal-fusion", "Spinal fusion",
     "Surgery that joins two or more vertebrae so a painful or unstable segment stops moving."),
    ("discectomy", "Discectomy",
     "Removal of the part of a herniated disc that presses on a nerve."),
    ("laminectomy", "Laminectomy",
     "Removal of part of a vertebra's bony arch to relieve pressure on the spinal cord or nerves."),
    ("minimally-invasive-spine-surgery", "Minimally invasive spine surgery",
     "Spine operations done through small incisions with special instruments, for less muscle damage and a faster recovery."),
]

BOARDS = [
    ("ABOS", "American Board of Orthopaedic Surgery"),
    ("AOBOS", "American Osteopathic Board of Orthopedic Surgery"),
    ("ABNS", "American Board of Neurological Surgery"),
    ("ABPMR", "American Board of Physical Medicine and Rehabilitation"),
    ("ABA", "American Board of Anesthesiology"),
    ("ABPN", "American Board of Psychiatry and Neurology"),
]


def create_catalog(apps, schema_editor):
    Treatment = apps.get_model("specialists", "Treatment")
    Board = apps.get_model("specialists", "Board")
    DirectoryVersion = apps.get_model("specialists", "DirectoryVersion")
    for order, (slug, name, summary) in enumerate(TREATMENTS, start=1):
        Treatment.objects.get_or_create(
            slug=slug, defaults={"name": name, "summary": summary, "sort_order": order * 10}
        )
    for code, name in BOARDS:
        Board.objects.get_or_create(code=code, defaults={"name": name})
    DirectoryVersion.objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("specialists", "0001_initial")]

    operations = [migrations.RunPython(create_catalog, migrations.RunPython.noop)]
