"""The JSON API: published articles under `/api/v1`, read through the site's one access rule.

It answers for the viewer of the site's own session cookie, exactly as the pages do: gated blocks
a viewer may not read are cut out before rendering and leave only an empty marker.
"""
