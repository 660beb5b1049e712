"""Tumour response: lesions, RECIST 1.1, iRECIST and best overall response.

Holds the lesion records (`lesions`), RECIST 1.1 baseline selection (`baseline`), timepoint
responses (`recist`), new-lesion rules (`new_lesions`), record checks (`checks`), the rule values
(`rules`), iRECIST (`irecist`) and best overall response with its confirmation and SD-duration
rules as values (`response`).

Start with::

    from oncotrial.domain.tumour.recist import derive_timepoint_responses
    from oncotrial.domain.tumour.response import derive_best_overall_response
"""
