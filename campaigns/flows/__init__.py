"""Step sequences and expiry-rescue playbooks: the enrolment engine.

Beat calls `run.flows_run(now=…)` every minute. Each pass enrols, applies
exits, then advances due enrollments, all set-based (keyset batches, bulk
inserts that ignore conflicts, conditional UPDATEs) so two overlapping passes
do the work once: the unique constraints on Enrollment, Delivery and
CallTask are what make a second insert a no-op. The engine never sends: an
email step becomes a queued Delivery that campaigns.sending claims, checks
(consent, suppression, cap, quiet hours) and sends.
"""
