from flask import Flask, request
from lxml import etree  # ruleid: PW203

app = Flask(__name__)
USERS = etree.parse("users.xml")


@app.route("/email")
def email():
    name = request.args["name"]
    a = USERS.xpath(f"//user[@name='{name}']/email/text()")  # ruleid: PW213
    finder = etree.XPath("//user[@id='" + request.args["id"] + "']")  # ruleid: PW213
    b = USERS.xpath("//user[@name=$name]/email/text()", name=name)  # ok: PW213
    c = USERS.xpath("count(//user)")  # ok: PW213
    return str([a, finder(USERS), b, c])
