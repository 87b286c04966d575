# SPDX-License-Identifier: GPL-3.0-or-later
"""Networks under the Inquiry's definition: association evidence, facilitators, detection, and the projection written back."""
