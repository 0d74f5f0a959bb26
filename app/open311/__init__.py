"""The Open311 GeoReport v2 face under `/open311/v2` (docs/OPEN311.md).

Cases are Open311 service requests, leaf case categories are services. This package speaks
Open311's own dialect (JSON or XML, `[{"code", "description"}]` errors), not the API's
problem+json, and is left out of our OpenAPI document: the GeoReport v2 schema describes it.

Decisions (also in the router's docstrings):
- api_key: `gk_<prefix>.<secret>` of a third-party client, read from the query string or the
  form body. Required for POST. GETs are public, as GeoReport v2 has them and public readers
  expect: without a key (an empty one counts as none), requests, tokens and
  servicerequestupdates serve the district's cases of public-space categories (components and
  events; community affairs are about households and stay behind a key) with public fields
  only: no photos of ours, `status_notes` as the status wording alone. Nothing personal is
  stored to leak (below), and timeline notes never leave this face. With a key, the client's
  own org subtree (and its own reports, whatever the category) and our photos. A key that is
  sent is checked: a wrong one is 403, never downgraded to the public view.
  `GRID_OPEN311_PUBLIC_READS=false` turns public reads off (403 without a key; discovery and
  services stay public).
- service_request_id is the case code (`AJ20261127…`). Requests are created synchronously, so
  POST returns the id and never a token; `tokens/{token}` accepts a service_request_id as its
  token and answers with it.
- Personal data sent with a report (email, names, phone, device_id, account_id) is not stored:
  the client app holds its users' contacts; we keep nothing we would have to protect or could
  leak back. account_id is echoed in the POST response only.
- Location: lat/long (WGS-84) win; else `address_id` is a grid code, and an `address_string`
  alone must name exactly one grid the client may report in (no geocoder) or it is a 400.
- A `media_url` sent with a report is kept as the description's last line (never fetched) and
  served back as `media_url`; a photo uploaded to the case itself takes precedence.
"""
