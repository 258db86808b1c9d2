"""The patient site's views, one module per kind of page: the search (home, /find/), the
content and profile pages, and the pages a link in an email lands on."""
