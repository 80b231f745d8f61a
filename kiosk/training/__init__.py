"""Training by ear, in three parts: the course model (``courses``, ``catalog``), the learner side (``learner/``:
sign-in, heard sentences, quiz answers, progress) and the trainer side (``trainer/``: reports, learners, cards and
certificates under /editor/training/). ``views`` serves the course pages and spoken questions to everyone."""
