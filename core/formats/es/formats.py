"""Spanish for US readers: Django's Spanish formats, but numbers keep the decimal point
and comma grouping that Spanish-language US health sites use (MedlinePlus en español:
"1.5 millas", "2,000"), and times the 12-hour clock US clinics and their Spanish pages
give hours in ("8 a.m.–5 p.m."). Dates stay Spanish: "22 de noviembre de 2026"."""

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
TIME_FORMAT = "P"
