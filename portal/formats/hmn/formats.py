# Hmong as read in Minneapolis: US order ("Lub Kaum Ib Hlis 29, 2026"), US number punctuation and a
# 12-hour clock with AM/PM, so dates, amounts and times read the same as on receipts, insurance forms and
# the English pages. Month and weekday names come from our catalog (reports/django_messages.py): Django
# has no Hmong.
DATE_FORMAT = "F j, Y"
DATETIME_FORMAT = "F j, Y, g:i A"
SHORT_DATE_FORMAT = "m/d/Y"
SHORT_DATETIME_FORMAT = "m/d/Y g:i A"
TIME_FORMAT = "g:i A"
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
