"""物业超市: the centre's file of the city's property-service companies, their quarterly scorecards (the desk's
disputes, assessments by departments, townships and communities, residents' ratings from phones) and the centre's
decisions to admit a company to the market or remove it.

- ``companies``: a company's fields, checked the same for the editor's form and for each imported row
- ``database``: market.db (companies, estates, history, decisions, assessments, ratings)
- ``sheets``: import from .xlsx/.csv with a report of every rejected row, and export to both
- ``quarters``, ``criteria``, ``scorecard``: the quarter, the city's assessment criteria, the arithmetic
- ``roles``: who may edit the file, enter assessments and decide admission
- ``staff`` (the editor's pages under /editor/market/) and ``public`` (a company's page and residents' ratings)
- ``goodwork``, ``photos``, ``wall``: the 形象墙's good work, its photos re-encoded without metadata, and the page

The kiosk's side-by-side comparison and estates' needs (issue #25 item 3) are not built yet; they read the same
tables (a company's id is stable, its estates are rows of their own)."""
