"""Every resident form: validate and convert; nothing else. Catalog questions become fields built from data.

One home, split by concern: the safety check, the details, the files.
"""

from .changes import MoreInfoForm, UploadForm, WithdrawForm
from .common import (
    EARLIEST_YEAR,
    LATEST_YEAR,
    NO,
    NOT_SURE,
    US_STATES,
    YES,
    YES_NO,
    DateTimeLocalInput,
    WhenField,
    money,
    when_field,
    year_out_of_range,
)
from .contact import ContactForm, PhoneCodeForm, TextLinkForm
from .details import (
    LOCATION_FIELDS,
    MAX_ITEMS,
    BaseStolenItemFormSet,
    DetailsForm,
    LocationForm,
    StolenItemForm,
    StolenItemFormSet,
    city_now,
    display_value,
    field_names,
    item_count,
    question_field,
    questions_for,
    quiet,
    value_cap_message,
)
from .eligibility import STOP_BY_FIELD, STOPS, EligibilityForm, Progress, Stop, yes_no
from .evidence import ACCEPTED_FILES, MultipleFileField, MultipleFileInput, ReplyForm, SubmitForm
from .save import SaveForLaterForm

__all__ = [
    "ContactForm",
    "PhoneCodeForm",
    "TextLinkForm",
    "ACCEPTED_FILES",
    "EARLIEST_YEAR",
    "LATEST_YEAR",
    "MAX_ITEMS",
    "NO",
    "NOT_SURE",
    "STOPS",
    "STOP_BY_FIELD",
    "US_STATES",
    "YES",
    "YES_NO",
    "BaseStolenItemFormSet",
    "DateTimeLocalInput",
    "DetailsForm",
    "LocationForm",
    "LOCATION_FIELDS",
    "city_now",
    "quiet",
    "EligibilityForm",
    "MultipleFileField",
    "MultipleFileInput",
    "Progress",
    "ReplyForm",
    "MoreInfoForm",
    "UploadForm",
    "WithdrawForm",
    "SaveForLaterForm",
    "StolenItemForm",
    "StolenItemFormSet",
    "Stop",
    "SubmitForm",
    "WhenField",
    "display_value",
    "field_names",
    "item_count",
    "money",
    "question_field",
    "questions_for",
    "value_cap_message",
    "when_field",
    "year_out_of_range",
    "yes_no",
]
