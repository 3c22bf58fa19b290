"""The browser console: product screens registered on the admin site (`/admin/w/<slug>/...`).

Each app keeps its screens in `<app>/console/` (views, urls); this package holds the shell
they share: workspace resolution, the 403/404 pages in the console's look, and the URL
registration on the admin site. Views load through queries, act through services and ask
`workspace.permissions`; they never decide a role themselves."""
