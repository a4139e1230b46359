"""Directory connector: OpenLDAP and Active Directory."""
