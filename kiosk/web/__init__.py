"""What every blueprint shares: the app's services and settings, request bodies and text checks, links and QR codes,
the one error shape, per-client limits and the security headers. View modules import from here, never each other."""
