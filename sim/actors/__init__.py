"""The chain's actors, one Mesa agent type each, each owning its decisions; their cash lives in the model's ledger.

``labeller`` (DataLabeller), ``lab`` (ModelTrainer), ``cloud`` (CloudHost), ``provider`` (ServiceProvider), ``app``
(AppDeveloper), on ``base`` (ChainAgent); ``trained_model`` holds what a lab makes (TrainingRun, TrainedModel). The
markets in ``sim.markets`` match many of them at once in vectorised form.
"""

from sim.actors.app import AppDeveloper
from sim.actors.base import ChainAgent
from sim.actors.cloud import CloudHost
from sim.actors.lab import ModelTrainer
from sim.actors.labeller import DataLabeller
from sim.actors.provider import ServiceProvider
from sim.actors.trained_model import TrainedModel, TrainingRun

__all__ = ["AppDeveloper", "ChainAgent", "CloudHost", "DataLabeller", "ModelTrainer", "ServiceProvider",
           "TrainedModel", "TrainingRun"]
