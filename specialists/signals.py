"""Keep the matcher's in-memory index honest: every listing change is recorded, with the ids
it touched, by ``directory_changed``.

Bulk code paths (the CSV import, NPPES, the admin's bulk actions) bypass signals and call
``directory_changed`` themselves with the ids they wrote; inside
``services.directory_changes_batched`` the per-row records below collapse into one.

Deletes are recorded before they happen where the database changes other rows without
signals: deleting an institute empties its specialists' ``institute`` (SET_NULL), deleting
a treatment or an insurance plan drops its links (CASCADE), clearing a relation from the
treatment's or plan's side removes links named nowhere else.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.dispatch import receiver

from .models import Board, BoardCertification, Institute, InsurancePlan, Specialist, Treatment
from .services import directory_changed


def _linked_specialists(instance) -> list[int]:
    """The ids of the specialists linked to a treatment or an insurance plan."""
    return list(instance.specialists.values_list("pk", flat=True))


@receiver([post_save, post_delete], sender=Specialist)
def _specialist_saved(sender, instance, **kwargs):
    if not kwargs.get("raw"):
        directory_changed(specialists=[instance.pk])


@receiver([post_save, post_delete], sender=BoardCertification)
def _certification_saved(sender, instance, **kwargs):
    if not kwargs.get("raw"):
        directory_changed(specialists=[instance.specialist_id])


@receiver([post_save, post_delete], sender=Institute)
def _institute_saved(sender, instance, **kwargs):
    if not kwargs.get("raw"):
        directory_changed(institutes=[instance.pk])


@receiver(pre_delete, sender=Institute)
def _institute_deleting(sender, instance, **kwargs):
    members = list(instance.specialists.values_list("pk", flat=True))
    if members:
        directory_changed(specialists=members)


@receiver([post_save, post_delete], sender=Treatment)
@receiver([post_save, post_delete], sender=Board)
@receiver([post_save, post_delete], sender=InsurancePlan)
def _catalog_saved(sender, **kwargs):
    if not kwargs.get("raw"):
        directory_changed(catalog=True)


@receiver(pre_delete, sender=Treatment)
@receiver(pre_delete, sender=InsurancePlan)
def _offering_deleting(sender, instance, **kwargs):
    linked = _linked_specialists(instance)
    if linked:
        directory_changed(specialists=linked)


@receiver(m2m_changed, sender=Specialist.treatments.through)
@receiver(m2m_changed, sender=Specialist.insurance.through)
def _links_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if not reverse:
        if action in ("post_add", "post_remove", "post_clear"):
            directory_changed(specialists=[instance.pk])
    elif action in ("post_add", "post_remove") and pk_set:
        directory_changed(specialists=pk_set)
    elif action == "pre_clear":
        linked = _linked_specialists(instance)
        if linked:
            directory_changed(specialists=linked)
