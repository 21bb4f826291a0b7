from django.db import models
from django.utils.translation import gettext_lazy as _


class PaymentMethod(models.TextChoices):
    BANK = "bank", _("Bank account")
    CASH = "cash", _("Cash at the post office")
