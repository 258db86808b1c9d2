from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = (
        "Give an admin account an authenticator (TOTP) and print the otpauth:// address to "
        "add it to an authenticator app. From then on the admin sign-in asks for its code."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--name", default="authenticator", help="what the device is called in the admin"
        )

    def handle(self, *args, username, name, **options):
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            raise CommandError(f"No user {username!r}.") from None
        if not user.is_staff:
            raise CommandError(f"{username!r} is not staff: only staff sign in to the admin.")
        device = TOTPDevice.objects.create(user=user, name=name, confirmed=True)
        self.stdout.write(device.config_url)
        self.stderr.write(
            "Add this address to the authenticator app (most take it pasted, or as a QR "
            "code made offline); it is the account's second factor, so keep it secret."
        )
