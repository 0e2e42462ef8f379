"""pack_hooks: what this part of governance registers with roles and recruitment when Django starts.

Board packs register nothing: the "Board pack" tab (templates/partials/place_nav.html) and the
"Board packs" link of the navigation (`roles.context_processors.navigation`, `nav_packs`) are enough.
"""
