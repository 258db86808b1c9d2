"""Keep the matcher's in-memory index honest: any listing change bumps the directory version.

Bulk code paths (the CSV import) bypass signals and call ``directory_changed`` themselves;
inside ``services.directory_changes_batched`` the per-row bumps below collapse into one.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from .models import Board, BoardCertification, Institute, InsurancePlan, Specialist, Treatment
from .services import directory_changed


@receiver([post_save, post_delete], sender=Specialist)
@receiver([post_save, post_delete], sender=BoardCertification)
@receiver([post_save, post_delete], sender=Institute)
@receiver([post_save, post_delete], sender=Treatment)
@receiver([post_save, post_delete], sender=Board)
@receiver([post_save, post_delete], sender=InsurancePlan)
def _listing_saved(sender, **kwargs):
    if kwargs.get("raw"):
        return
    directory_changed()


@receiver(m2m_changed, sender=Specialist.treatments.through)
@receiver(m2m_changed, sender=Specialist.insurance.through)
def _treatments_changed(sender, action, **kwargs):
    if action in ("post_add", "post_remove", "post_clear"):
        directory_changed()
