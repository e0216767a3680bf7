import json
import logging
import ssl
import urllib.request

log = logging.getLogger("rates")
RATES_URL = "https://fx.rates-provider.example/latest?base=EUR"


def _opener():
    context = ssl._create_unverified_context()
    return urllib.request.build_opener(urllib.request.HTTPSHandler(context=context))


def latest_rates(symbols=("USD", "GBP", "CHF")):
    opener = _opener()
    with opener.open(RATES_URL, timeout=8) as resp:
        data = json.load(resp)
    rates = data.get("rates", {})
    missing = [s for s in symbols if s not in rates]
    if missing:
        log.warning("provider did not return %s", ",".join(missing))
    return {s: rates[s] for s in symbols if s in rates}


if __name__ == "__main__":
    for sym, rate in latest_rates().items():
        print(f"{sym}: {rate}")
