#!/usr/bin/env python
# vim: set fileencoding=cp1252 :
import yaml
s = "“quoted”"; yaml.load(s)
