"""Demo companies and the people in them, planned once for the whole run.

Everything that must be unique across the run (company names, domains,
email addresses) is decided here, vectorised, so the per-chunk generation in
`story` and `touches` can work on any slice independently.
"""
from dataclasses import dataclass

import numpy as np

from . import vocab


@dataclass
class Companies:
    name: list
    domain: list
    industry: np.ndarray  # object
    employees: np.ndarray
    size_class: np.ndarray  # 0 small (<300), 1 mid (<1000), 2 large
    region: np.ndarray  # object
    phone: np.ndarray  # object
    owner: np.ndarray  # index into the rep list, -1 for nobody

    def __len__(self):
        return len(self.name)


@dataclass
class People:
    company: np.ndarray  # company index per contact
    female: np.ndarray
    family: np.ndarray  # index into vocab.FAMILY_NAMES
    given: np.ndarray  # index into the gender's given-name list
    email: list


def _weights(values):
    values = np.asarray(values, dtype=float)
    return values / values.sum()


def _name_space():
    """Every (place, stem, word) combination with its industry and weight."""
    words = [(industry, word, romaji) for industry, items in vocab.INDUSTRIES.items() for word, romaji in items]
    place = np.repeat(np.arange(len(vocab.NAME_PLACES)), len(vocab.COMPANY_STEMS) * len(words))
    stem = np.tile(np.repeat(np.arange(len(vocab.COMPANY_STEMS)), len(words)), len(vocab.NAME_PLACES))
    word = np.tile(np.arange(len(words)), len(vocab.NAME_PLACES) * len(vocab.COMPANY_STEMS))
    per_word = np.array([vocab.INDUSTRY_WEIGHTS[i] / len(vocab.INDUSTRIES[i]) for i, _w, _r in words])
    # Most companies carry no place in their name.
    place_weight = np.where(place == 0, 12.0, 1.0)
    return words, place, stem, word, per_word[word] * place_weight


def max_companies():
    return len(vocab.NAME_PLACES) * len(vocab.COMPANY_STEMS) * sum(len(w) for w in vocab.INDUSTRIES.values())


def companies_plan(rng, count, rep_count, taken_names=frozenset()):
    words, place, stem, word, weight = _name_space()
    # Weighted sampling without replacement (Gumbel top-k): unique names by construction.
    keys = np.log(weight) - np.log(-np.log(rng.random(len(weight))))
    chosen = np.argsort(-keys, kind="stable")[:count]
    place, stem, word = place[chosen], stem[chosen], word[chosen]
    forms = vocab.LEGAL_FORMS
    form = rng.choice(len(forms), size=count, p=_weights([f[2] for f in forms]))

    names, domains, industries, regions = [], [], [], []
    for p, s, w, f in zip(place.tolist(), stem.tolist(), word.tolist(), form.tolist(), strict=True):
        place_kanji, place_romaji, place_region = vocab.NAME_PLACES[p]
        stem_kanji, stem_romaji = vocab.COMPANY_STEMS[s]
        industry, word_kanji, word_romaji = words[w]
        legal, position, _weight = forms[f]
        core = place_kanji + stem_kanji + word_kanji
        names.append(legal + core if position == "prefix" else core + legal)
        domains.append("-".join(x for x in (place_romaji, stem_romaji, word_romaji) if x) + "." + vocab.DEMO_DOMAIN)
        industries.append(industry)
        regions.append(place_region)

    random_region = rng.choice(vocab.REGIONS, size=count, p=_weights(vocab.REGION_WEIGHTS))
    region = np.array([r or rr for r, rr in zip(regions, random_region.tolist(), strict=True)], dtype=object)

    band = rng.choice(len(vocab.SIZE_BANDS), size=count, p=_weights([b[1] for b in vocab.SIZE_BANDS]))
    low = np.array([b[0][0] for b in vocab.SIZE_BANDS])[band]
    high = np.array([b[0][1] for b in vocab.SIZE_BANDS])[band]
    employees = np.exp(rng.uniform(np.log(low), np.log(high + 1))).astype(np.int64)
    size_class = np.where(employees < 300, 0, np.where(employees < 1000, 1, 2))

    phone = _office_phones(rng, region)
    owner = rng.integers(0, rep_count, size=count) if rep_count else np.full(count, -1)
    keep = np.array([n not in taken_names for n in names], dtype=bool)
    return Companies(
        name=[n for n, k in zip(names, keep, strict=True) if k],
        domain=[d for d, k in zip(domains, keep, strict=True) if k],
        industry=np.array(industries, dtype=object)[keep],
        employees=employees[keep],
        size_class=size_class[keep],
        region=region[keep],
        phone=phone[keep],
        owner=owner[keep],
    )


def _office_phones(rng, region):
    count = len(region)
    pick = rng.random(count)
    area = np.array([codes[int(p * len(codes))] for codes, p in
                     zip((vocab.REGION_AREA_CODES[r] for r in region), pick.tolist(), strict=True)], dtype=object)
    # Japanese numbers have ten digits: the area code and local exchange share six.
    exchange_len = 6 - np.array([len(a) - 1 for a in area])
    exchange = rng.integers(1000, 10000, size=count)
    line = rng.integers(0, 10000, size=count)
    return np.array([f"{a}-{str(e)[:n]}-{ln:04d}" for a, e, n, ln in zip(area, exchange.tolist(), exchange_len.tolist(),
                                                                          line.tolist(), strict=True)], dtype=object)


def people_plan(rng, count, companies):
    n_companies = len(companies)
    # Every company gets one contact, the rest go mostly to bigger companies.
    extra = rng.choice(n_companies, size=count - n_companies, p=_weights(np.sqrt(companies.employees)))
    company = rng.permutation(np.concatenate([np.arange(n_companies), extra]))
    female = rng.random(count) < 0.35
    family = rng.choice(len(vocab.FAMILY_NAMES), size=count, p=_weights([f[3] for f in vocab.FAMILY_NAMES]))
    given = np.where(female, rng.integers(0, len(vocab.GIVEN_NAMES_FEMALE), size=count),
                     rng.integers(0, len(vocab.GIVEN_NAMES_MALE), size=count))
    email_format = rng.choice(len(vocab.EMAIL_FORMATS), size=n_companies, p=_weights(vocab.EMAIL_FORMAT_WEIGHTS))
    email = _emails(company, female, family, given, email_format, companies.domain)
    return People(company=company, female=female, family=family, given=given, email=email)


def _emails(company, female, family, given, email_format, domains):
    families = [f[2] for f in vocab.FAMILY_NAMES]
    male, fem = [g[2] for g in vocab.GIVEN_NAMES_MALE], [g[2] for g in vocab.GIVEN_NAMES_FEMALE]
    formats = vocab.EMAIL_FORMATS
    locals_ = []
    for c, is_f, fam, giv in zip(company.tolist(), female.tolist(), family.tolist(), given.tolist(), strict=True):
        f, g = families[fam], (fem if is_f else male)[giv]
        fmt = formats[email_format[c]]
        if fmt == "given.family":
            locals_.append(f"{g}.{f}")
        elif fmt == "family.given":
            locals_.append(f"{f}.{g}")
        elif fmt == "initial.family":
            locals_.append(f"{g[0]}.{f}")
        elif fmt == "family":
            locals_.append(f)
        else:
            locals_.append(f"{f}_{g[0]}")
    addresses = np.array([f"{loc}@{domains[c]}" for loc, c in zip(locals_, company.tolist(), strict=True)],
                         dtype=object)
    # Namesakes at one company get 2, 3, ... appended, in contact order.
    occurrence = _occurrence(addresses)
    return [
        address if n == 0 else f"{loc}{n + 1}@{domains[c]}"
        for address, n, loc, c in zip(addresses.tolist(), occurrence.tolist(), locals_, company.tolist(), strict=True)
    ]


def _occurrence(values):
    """0 for the first time a value appears, 1 for the second, ..."""
    _unique, inverse = np.unique(values, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    sorted_inverse = inverse[order]
    starts = np.flatnonzero(np.r_[True, sorted_inverse[1:] != sorted_inverse[:-1]])
    group_start = np.repeat(starts, np.diff(np.r_[starts, len(values)]))
    occurrence = np.empty(len(values), dtype=np.int64)
    occurrence[order] = np.arange(len(values)) - group_start
    return occurrence
