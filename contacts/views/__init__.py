from .contacts import contact_detail, contact_list, overview
from .imports import import_detail, import_list, import_new

__all__ = ["contact_detail", "contact_list", "import_detail", "import_list", "import_new", "overview"]
