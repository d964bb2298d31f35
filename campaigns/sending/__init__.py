"""Sending marketing mail exactly once, lawfully and at a sensible hour.

materialize (start a broadcast: delivery rows), preflight (what a start would
do), claim (queued → sending with the compliance checks), message (MIME,
headers, footer, tracked links), send (a batch over one SMTP connection),
dispatch (beat: due rows → send tasks; sweeper), ratelimit (a rate shared by
all workers), public (what recipients do through the links in the mail),
health (the Sending health page's reading, and beat's notes for it).
"""
