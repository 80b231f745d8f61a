"""实训基地: practical courses taught in the training areas. ``rounds`` are the sessions a trainer schedules, learners
sign up for on their phones and attend by their card; ``signoffs`` are the skills a trainer marks 合格 or 不合格 per
area, which a practical course's certificate needs; ``posters`` are the A4 sheets with a QR to each area's briefing."""
