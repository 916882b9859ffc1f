"""What kind of text this is: a job posting or a resume."""

from __future__ import annotations

import re

# First-person voice and CV section names are what set a resume apart from a posting.
_RESUME_HINTS = re.compile(
    r"\b(?:i|my|me|resume|résumé|curriculum vitae|cv|objective|work history|professional summary|"
    r"work experience|education|references)\b",
    re.IGNORECASE,
)
_POSTING_HINTS = re.compile(
    r"\b(?:you will|you'll|we are|we're|our team|join|apply|requirements|responsibilities|"
    r"the candidate|qualifications|benefits|equal opportunity)\b",
    re.IGNORECASE,
)


def detect_kind(text: str) -> str:
    """Guess whether a text is a job posting or a resume from its voice.

    >>> detect_kind("I built dashboards. Education: MSc")
    'resume'
    >>> detect_kind("Resume - Jordan Lee. Work experience: built dashboards")
    'resume'
    >>> detect_kind("You will build dashboards. Apply now.")
    'posting'
    """
    resume = len(_RESUME_HINTS.findall(text))
    posting = len(_POSTING_HINTS.findall(text))
    return "resume" if resume > posting else "posting"
