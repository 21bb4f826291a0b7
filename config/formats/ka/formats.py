# Georgian numbers as CLDR (and `zrunva.core.numbers`, through Babel) write them: a decimal
# comma and a non-breaking space between thousands. Django's own `ka` locale has a decimal
# point; the rest of its formats (dates) are kept, as Django falls back to them.
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "\xa0"
NUMBER_GROUPING = 3
