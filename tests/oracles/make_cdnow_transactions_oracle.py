"""Write lifetimes' fit and predictions on the CDNOW transactions (tests/oracles/cdnow_sample.txt).

Run it in the environment of make_lifetimes_oracles.py (lifetimes 0.11.3, pandas < 3, setuptools < 82):

    /tmp/lifetimes-venv/bin/python tests/oracles/make_cdnow_transactions_oracle.py

cdnow_sample.txt is lifetimes' datasets/CDNOW_sample.txt, copied unchanged. The summary of the
calibration period (up to 1997-09-30) is computed here with pandas as lifetimes'
summary_data_from_transaction_data defines it (freq "D", freq_multiplier 7: weeks as days / 7),
whose own code fails on current pandas; lifetimes fits BG/NBD and Gamma-Gamma on it and predicts.
It writes lifetimes_cdnow_transactions.csv and lifetimes_cdnow_transactions_fit.json beside itself.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter

HERE = Path(__file__).resolve().parent
tx=pd.read_csv(HERE / "cdnow_sample.txt", sep=r"\s+", header=None, names=["master","id","date","cds","amount"], dtype={"date":str})
tx["date"]=pd.to_datetime(tx["date"], format="%Y%m%d")
tx=tx[tx["date"]<="1997-09-30"]
daily=tx.groupby(["id","date"])["amount"].sum().reset_index()
end=pd.Timestamp("1997-09-30")
g=daily.groupby("id")
first=g["date"].min(); last=g["date"].max(); n=g["date"].count()
firstval=daily.merge(first.rename("first"),left_on="id",right_index=True)
firstval=firstval[firstval.date==firstval["first"]].set_index("id")["amount"]
s=pd.DataFrame({"frequency":n-1,"recency":(last-first).dt.days/7,"T":(end-first).dt.days/7})
tot=g["amount"].sum()
s["monetary_value"]=np.where(s.frequency>0,(tot-firstval)/s.frequency.where(s.frequency>0,1),0.0)
bg=BetaGeoFitter(penalizer_coef=0.0).fit(s.frequency.values,s.recency.values,s["T"].values)
rep=s[s.frequency>0]
gg=GammaGammaFitter(penalizer_coef=0.0).fit(rep.frequency.values,rep.monetary_value.values)
out=s.copy()
out["p_alive"]=bg.conditional_probability_alive(s.frequency,s.recency,s["T"])
out["purchases_39"]=bg.conditional_expected_number_of_purchases_up_to_time(39,s.frequency,s.recency,s["T"])
out["spend"]=gg.conditional_expected_average_profit(s.frequency,s.monetary_value)
out["value_12"]=gg.customer_lifetime_value(bg,s.frequency,s.recency,s["T"],s.monetary_value,time=12,discount_rate=0.01,freq="W")
out.to_csv(HERE / "lifetimes_cdnow_transactions.csv", float_format="%.17g")
json.dump({"bgnbd":{k:float(v) for k,v in bg.params_.items()},"gamma_gamma":{k:float(v) for k,v in gg.params_.items()}}, (HERE / "lifetimes_cdnow_transactions_fit.json").open("w"))
