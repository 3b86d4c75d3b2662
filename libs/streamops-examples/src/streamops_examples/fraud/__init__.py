"""The fraud example's data: a seeded generator of card transactions with fraud patterns,
delayed chargeback labels and injected data-quality faults, scenarios that drift it, and
the producer behind ``streamops produce fraud``.

`generate` is pure (no Kafka); `open_fraud_producer` wires a `FraudProducer` to a cluster.
"""

from streamops.examples.fraud.connect import ProduceSetupError, open_fraud_producer
from streamops.examples.fraud.faults import AMOUNT_MAX, AMOUNT_MIN, faulty_value
from streamops.examples.fraud.generator import (
    BASE_FRAUD_RATE,
    DEFAULT_START_MS,
    Generated,
    generate,
)
from streamops.examples.fraud.labels import LABEL_SOURCE, PendingLabels, chargeback_label
from streamops.examples.fraud.patterns import PATTERNS
from streamops.examples.fraud.produce import (
    FraudProducer,
    ProduceOptions,
    ProduceReport,
)
from streamops.examples.fraud.scenarios import (
    FAULT_FIELDS,
    FAULT_RULES,
    ConceptDrift,
    CovariateDrift,
    Effects,
    Phase,
    QualityIncident,
    Scenario,
    ScenarioError,
    load_scenario,
    resolve_segments,
)

__all__ = [
    "AMOUNT_MAX",
    "AMOUNT_MIN",
    "BASE_FRAUD_RATE",
    "DEFAULT_START_MS",
    "FAULT_FIELDS",
    "FAULT_RULES",
    "LABEL_SOURCE",
    "PATTERNS",
    "ConceptDrift",
    "CovariateDrift",
    "Effects",
    "FraudProducer",
    "Generated",
    "PendingLabels",
    "Phase",
    "ProduceOptions",
    "ProduceReport",
    "ProduceSetupError",
    "QualityIncident",
    "Scenario",
    "ScenarioError",
    "chargeback_label",
    "faulty_value",
    "generate",
    "load_scenario",
    "open_fraud_producer",
    "resolve_segments",
]
