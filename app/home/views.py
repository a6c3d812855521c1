"""The home page: "My work", the signed-in person's open cards across every board they can see."""

from flask import render_template
from flask_login import current_user, login_required

from app.home import bp, templating
from app.services import work

templating.init_blueprint(bp)


@bp.get("/")
@login_required
def index():
    items = work.my_work(current_user._get_current_object())
    return render_template("home/index.html", items=items)
