"""ISO 4217 currency codes a customer lifetime value may be given in (analysis/value.py).

No currency library is a dependency of reviewmine (babel and pycountry are not installed), so this is a checked-in
copy of ISO 4217 List One (the SIX Group maintenance agency's table, as of 2025): the circulating currencies, plus
the codes being replaced in 2024-2025 (ANG by XCG, SLL by SLE, ZWL by ZWG) so older job files keep working. Fund
codes (BOV, CHE, CHW, CLF, COU, MXV, USN, UYI, UYW), precious metals (XAG, XAU, XPD, XPT), bond-market units
(XBA-XBD), XDR, XSU, XUA and the test / no-currency codes (XTS, XXX) are left out: nobody's customers are worth
an amount in them. tests/analysis/test_value_inputs.py checks the list's shape and a few codes.
"""

from __future__ import annotations

__all__ = ["CURRENCIES"]

CURRENCIES: frozenset[str] = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF
    CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG
    HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA
    MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD
    RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH
    UGX USD UYU UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG ZWL
    """.split()  # noqa: SIM905 (a block of codes reads and diffs better than a list)
)
