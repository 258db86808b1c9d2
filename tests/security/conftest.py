# The attacks here go through the same doors as the features they abuse: reuse the lead
# and marketing fixtures rather than building a second set.
from tests.leads.conftest import api, lead_payload, post_lead  # noqa: F401
from tests.marketing.conftest import marketing_client, marketing_token, marketing_user  # noqa: F401
