# -*- coding: latin-1 -*-
import os
# café
os.system("ls " + x)  # été
