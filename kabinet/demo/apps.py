from kabinet.core import appconfig


class DemoConfig(appconfig.KabinetAppConfig):
    """The demo operator (``seed_demo``) and the bench's dataset (``generate_dataset``): the
    top layer, which may use every app and which no app uses."""

    name = "kabinet.demo"
    label = "demo"
