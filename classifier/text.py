"""What kind of text this is: a job posting or a resume."""

from __future__ import annotations

import re

# First-person voice and CV section names are what set a resume apart from a posting.
# One pass over the lowercased text counts both kinds of hint: on a long posting, two
# case-blind passes cost as much as its whole prediction.
_HINTS = re.compile(
    r"\b(?:(i|my|me|resume|résumé|curriculum vitae|cv|objective|work history|professional summary|"
    r"work experience|education|references)|"
    r"(you will|you'll|we are|we're|our team|join|apply|requirements|responsibilities|"
    r"the candidate|qualifications|benefits|equal opportunity))\b"
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
    resume = posting = 0
    for is_resume, _ in _HINTS.findall(text.lower()):
        if is_resume:
            resume += 1
        else:
            posting += 1
    return "resume" if resume > posting else "posting"
