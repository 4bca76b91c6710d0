"""The page scripts ``st.navigation`` runs, one per URL path (see :mod:`..navigation`).

Each only draws its section; importing one draws it, so nothing else imports them.
"""
