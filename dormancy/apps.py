from django.apps import AppConfig


class DormancyConfig(AppConfig):
    name = "dormancy"
